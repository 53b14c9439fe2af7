/** Upload tags are a flat object of short strings: anything else is refused, naming the problem, and nothing is registered. */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writeIdentityModel } from '../helpers/models.js';
import { startRegistryServer } from '../helpers/server.js';

let server: Awaited<ReturnType<typeof startRegistryServer>>;
const model = writeIdentityModel(tempDir(), 'FP32');
beforeAll(async () => {
  server = await startRegistryServer(tempDir());
});
afterAll(async () => {
  await server?.close();
});

async function upload(tags: string) {
  const form = new FormData();
  form.append('file', new Blob([readFileSync(model)]), 'ident.onnx');
  form.append('name', 'tagged');
  form.append('tags', tags);
  const response = await fetch(`${server.url}/api/models`, { method: 'POST', body: form });
  return { status: response.status, body: (await response.json()) as { code?: string; error?: string; version?: { tags: unknown } } };
}

describe('upload tags', () => {
  it.each([
    ['a nested object', '{"team": {"name": "ml"}}', "tag 'team' must be a string, not an object"],
    ['a string', '"abc"', 'not a string'],
    ['a list', '["a"]', 'not a list'],
    ['a number value', '{"n": 1}', "tag 'n' must be a string, not a number"],
    ['a long value', JSON.stringify({ big: 'x'.repeat(2000) }), "tag 'big' is 2000 characters long"],
    ['too many tags', JSON.stringify(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`t${i}`, 'v']))), 'there are 65 tags'],
    ['not JSON', '{team: ml}', "field 'tags' is not JSON"],
  ])('refuses %s', async (_what, tags, message) => {
    const { status, body } = await upload(tags);
    expect(status).toBe(400);
    expect(body.code).toBe('BERTH_UPLOAD_INVALID');
    expect(body.error).toContain(message);
  });

  it('registers nothing for refused tags, and keeps good ones', async () => {
    expect((await fetch(`${server.url}/api/models/tagged`)).status).toBe(404);
    const { status, body } = await upload('{"team": "ml", "owner": "ana"}');
    expect(status).toBe(201);
    expect(body.version?.tags).toEqual({ team: 'ml', owner: 'ana' });
  });
});
