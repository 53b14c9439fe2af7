/**
 * The dashboard's API types are generated from the server's OpenAPI document, which the route
 * schemas produce: this fails when web/src/api/generated/openapi.d.ts no longer matches them
 * (`npm run build:api-types` regenerates it), and the web typecheck then checks every use.
 */
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_TYPES_FILE, apiDocument, apiTypes } from '../../scripts/api-types.js';

type Operation = { responses?: Record<string, { content?: Record<string, unknown> }>; requestBody?: unknown };

describe('the API contract', () => {
  let document: Record<string, unknown>;
  beforeAll(async () => {
    document = await apiDocument();
  });

  it("declares a JSON response for every success of every /api route, and an error body for the rest", () => {
    const paths = document.paths as Record<string, Record<string, Operation>>;
    expect(Object.keys(paths).length).toBeGreaterThan(15);
    const undeclared: string[] = [];
    for (const [path, operations] of Object.entries(paths)) {
      expect(path.startsWith('/api/')).toBe(true);
      for (const [method, operation] of Object.entries(operations)) {
        // Server-sent events, image archives and payload exports are streams, not one JSON answer.
        if (path === '/api/training/{id}/events' || path === '/api/images/{id}/archive' || path === '/api/models/{name}/payloads') {
          if (path === '/api/models/{name}/payloads') expect(operation.responses?.['4XX'] ?? operation.responses?.['4xx']).toBeDefined();
          continue;
        }
        const responses = operation.responses ?? {};
        const success = Object.entries(responses).filter(([status]) => status.startsWith('2'));
        if (success.length === 0 || success.some(([, r]) => r.content?.['application/json'] === undefined)) undeclared.push(`${method} ${path}`);
        if (responses['4XX'] === undefined && responses['4xx'] === undefined) undeclared.push(`${method} ${path} (errors)`);
      }
    }
    expect(undeclared).toEqual([]);
  });

  it('generates the types the dashboard has: run npm run build:api-types when this fails', async () => {
    const generated = await apiTypes(document);
    const committed = await readFile(API_TYPES_FILE, 'utf8');
    expect(committed === generated, `${API_TYPES_FILE} differs from what the server's schemas generate`).toBe(true);
  });
});
