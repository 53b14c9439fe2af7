/**
 * The client's management API types are the dashboard's, generated from the same OpenAPI document
 * in the same run of scripts/api-types.ts (test/web/api-types.test.ts checks that document).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { API_TYPES_FILE, CLIENT_API_TYPES_FILE } from '../../scripts/api-types.js';

describe('the berth/client package', () => {
  it("resolve through the package's exports map, as 'berth/client'", async () => {
    const script = "const m = await import('berth/client'); console.log(typeof m.BerthClient, typeof m.tensor)";
    const cwd = new URL('../..', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd });
    expect(stdout.trim()).toBe('function function');
  });

  it('are the generated types, unchanged: run npm run build:api-types when this fails', async () => {
    const [client, web] = await Promise.all([readFile(CLIENT_API_TYPES_FILE, 'utf8'), readFile(API_TYPES_FILE, 'utf8')]);
    expect(client === web, `${CLIENT_API_TYPES_FILE} differs from ${API_TYPES_FILE}`).toBe(true);
  });
});
