/** The registry half of the management API over HTTP, with OpenAPI docs and bearer auth. */
import { chmodSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportBundle, packageModel } from '../../dist/registry/index.js';
import { runBerth } from '../helpers/cli.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';
import { startRegistryServer } from '../helpers/server.js';

const dir = tempDir();
let server: Awaited<ReturnType<typeof startRegistryServer>>;

function upload(url: string, file: string, fields: Record<string, string | string[]> = {}, headers: Record<string, string> = {}) {
  const form = new FormData();
  form.append('file', new Blob([readFileSync(file)]), file.split('/').at(-1));
  for (const [key, value] of Object.entries(fields)) for (const v of [value].flat()) form.append(key, v);
  return fetch(`${url}/api/models`, { method: 'POST', body: form, headers });
}

async function json(response: Response): Promise<Record<string, unknown> & { error?: string; code?: string }> {
  return (await response.json()) as Record<string, unknown> & { error?: string; code?: string };
}

beforeAll(async () => {
  server = await startRegistryServer(tempDir());
});
afterAll(async () => {
  await server?.close();
});

describe('management API', () => {
  it('registers an uploaded .onnx file, and returns the same version for the same content', async () => {
    const model = writeIdentityModel(dir, 'FP32');
    const first = await upload(server.url, model, { name: 'ident', alias: ['production', 'staging'], description: 'identity', tags: '{"team":"ml"}' });
    expect(first.status).toBe(201);
    const body = await json(first);
    expect(body).toMatchObject({ created: true, aliasesSet: ['production', 'staging'], version: { model: 'ident', version: 1, tags: { team: 'ml' } } });
    const again = await upload(server.url, model, { name: 'ident', description: 'identity', tags: '{"team":"ml"}' });
    expect(again.status).toBe(200);
    expect(await json(again)).toMatchObject({ created: false, version: { version: 1 } });
    // The upload is live at once on this replica.
    expect((await fetch(`${server.url}/v2/models/ident`)).status).toBe(200);
  });

  it('registers an uploaded .berth archive', async () => {
    const bundleDir = join(tempDir(), 'b');
    await packageModel(writeIdentityModel(tempDir(), 'INT32'), { outDir: bundleDir, name: 'ints', description: 'from an archive' });
    const archive = join(tempDir(), 'ints.berth');
    await exportBundle(bundleDir, archive);
    const response = await upload(server.url, archive);
    expect(response.status).toBe(201);
    expect(await json(response)).toMatchObject({ version: { model: 'ints', version: 1 } });
  });

  it('refuses a bundle whose serving settings are out of bounds with 400, registering nothing', async () => {
    const bundleDir = join(tempDir(), 'b');
    await packageModel(writeIdentityModel(tempDir(), 'INT32'), { outDir: bundleDir, name: 'unbounded' });
    const manifestPath = join(bundleDir, 'berth.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
    chmodSync(manifestPath, 0o644);
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, serving: { batching: { maxQueue: 1e12 } } }));
    const archive = join(tempDir(), 'unbounded.berth');
    await create({ file: archive, cwd: bundleDir, gzip: true }, ['berth.json', 'model.onnx']);
    const response = await upload(server.url, archive);
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.code).toBe('BERTH_BUNDLE_MANIFEST_INVALID');
    expect(body.error).toContain('serving.batching.maxQueue');
    expect(body.error).toContain('archive unbounded.berth');
    expect(body.error).not.toMatch(/upload-[0-9a-f-]{36}|\/tmp\//);
    expect((await fetch(`${server.url}/api/models/unbounded`)).status).toBe(404);
  });

  it('lists and reads models and versions', async () => {
    const models = (await json(await fetch(`${server.url}/api/models`))).models as { name: string; aliases: Record<string, number> }[];
    expect(models.map((m) => m.name).sort()).toEqual(['ident', 'ints']);
    expect(models[0]).not.toHaveProperty('summary');
    // The dashboard's list in one request: no traffic yet, and no drift without a reference profile.
    const summarized = (await json(await fetch(`${server.url}/api/models?summary=true`))).models as { name: string; summary: Record<string, unknown> }[];
    expect(summarized.find((m) => m.name === 'ident')?.summary).toMatchObject({ traffic: { requests: 0, errors: 0, requestsPerSecond: 0 }, drift: null, driftUnavailable: expect.stringContaining('ident') });
    const ident = await json(await fetch(`${server.url}/api/models/ident`));
    expect(ident).toMatchObject({ model: { name: 'ident', versions: 1, aliases: { production: 1, staging: 1 } }, versions: [{ version: 1 }] });
    const version = await json(await fetch(`${server.url}/api/models/ident/versions/1`));
    expect(version).toMatchObject({ model: 'ident', version: 1, manifest: { name: 'ident', signature: { inputs: [{ name: 'x', datatype: 'FP32' }] } } });
    expect((version.digest as string).startsWith('sha256:')).toBe(true);
  });

  it('moves, removes and refuses aliases with clear errors', async () => {
    await upload(server.url, writeIdentityModel(tempDir(), 'FP64'), { name: 'ident' });
    const moved = await fetch(`${server.url}/api/models/ident/aliases/production`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"version":2}' });
    expect(moved.status).toBe(200);
    expect(await json(moved)).toMatchObject({ alias: 'production', version: 2, previous: 1 });
    // Applied to this replica before the answer.
    const meta = await json(await fetch(`${server.url}/v2/models/ident`));
    expect((meta.inputs as { datatype: string }[])[0]!.datatype).toBe('FP64');

    const same = await fetch(`${server.url}/api/models/ident/aliases/production`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"version":2}' });
    expect(same.status).toBe(409);
    expect((await json(same)).code).toBe('BERTH_REGISTRY_ALIAS_ALREADY_SET');

    const missing = await fetch(`${server.url}/api/models/ident/aliases/production`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"version":9}' });
    expect(missing.status).toBe(404);

    const bad = await fetch(`${server.url}/api/models/ident/aliases/production`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"v":2}' });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toContain('version');

    const removed = await fetch(`${server.url}/api/models/ident/aliases/staging`, { method: 'DELETE' });
    expect(await json(removed)).toMatchObject({ alias: 'staging', version: 1 });
    const gone = await fetch(`${server.url}/api/models/ident/aliases/staging`, { method: 'DELETE' });
    expect(gone.status).toBe(404);
  });

  it('refuses to delete an aliased version unless forced', async () => {
    const refused = await fetch(`${server.url}/api/models/ident/versions/2`, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect((await json(refused)).code).toBe('BERTH_REGISTRY_VERSION_IN_USE');
    const deleted = await fetch(`${server.url}/api/models/ident/versions/1`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(await json(deleted)).toMatchObject({ deleted: { version: 1 } });
    const forced = await fetch(`${server.url}/api/models/ident/versions/2?force=true`, { method: 'DELETE' });
    expect(await json(forced)).toMatchObject({ deleted: { version: 2 }, aliasesRemoved: ['production'] });
    expect((await fetch(`${server.url}/v2/models/ident`)).status).toBe(404);
  });

  it('keeps an audit log of changes made through the API', async () => {
    const { entries } = (await json(await fetch(`${server.url}/api/audit?model=ident`))) as unknown as { entries: { action: string; interface: string }[] };
    expect(entries.map((e) => e.action)).toContain('alias.set');
    expect(entries.map((e) => e.action)).toContain('version.delete');
    expect(new Set(entries.map((e) => e.interface))).toEqual(new Set(['api']));
  });

  it.each([
    ['a bad model name', { name: 'a/b' }, 'BERTH_REGISTRY_NAME_INVALID'],
    ['a file that is not ONNX', { name: 'junk' }, 'BERTH_BUNDLE_MODEL_INVALID'],
  ])('refuses an upload with %s, writing nothing', async (_case, fields, code) => {
    const junk = join(dir, 'junk.onnx');
    const file = code === 'BERTH_BUNDLE_MODEL_INVALID' ? (await import('node:fs')).writeFileSync(junk, 'not onnx') ?? junk : writeIdentityModel(dir, 'FP32');
    const response = await upload(server.url, file, fields);
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.code).toBe(code);
    // The message names the file the client sent, never where the server kept it.
    if (code === 'BERTH_BUNDLE_MODEL_INVALID') expect(body.error).toMatch(/^junk\.onnx cannot be used as a model/);
    expect(body.error).not.toMatch(/upload-[0-9a-f-]{36}|\/tmp\/|\.berth\//);
    expect(((await json(await fetch(`${server.url}/api/models`))).models as { name: string }[]).map((m) => m.name)).not.toContain('junk');
  });

  it('refuses an upload without a file or with another extension', async () => {
    const form = new FormData();
    form.append('name', 'x');
    const none = await fetch(`${server.url}/api/models`, { method: 'POST', body: form });
    expect(none.status).toBe(400);
    expect((await json(none)).code).toBe('BERTH_UPLOAD_INVALID');
    const other = new FormData();
    other.append('file', new Blob(['x']), 'model.pt');
    const wrong = await fetch(`${server.url}/api/models`, { method: 'POST', body: other });
    expect((await json(wrong)).error).toContain("'model.pt' is neither a .onnx file nor a .berth archive");
  });

  it('describes itself in OpenAPI with browsable docs', async () => {
    const spec = await json(await fetch(`${server.url}/api/openapi.json`));
    expect(spec.openapi).toMatch(/^3\./);
    const paths = Object.keys(spec.paths as object);
    for (const path of ['/api/models', '/api/models/{name}', '/api/models/{name}/versions/{version}', '/api/models/{name}/aliases/{alias}', '/api/audit', '/api/models/{ref}/predict']) {
      expect(paths).toContain(path);
    }
    const docs = await fetch(`${server.url}/api/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });

  it('reports what this replica serves', async () => {
    await fetch(`${server.url}/api/models/ints/aliases/staging`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"version":1}' });
    const info = await json(await fetch(`${server.url}/api/server`));
    expect(info).toMatchObject({ version: 'test', failures: [] });
    const { digest } = await json(await fetch(`${server.url}/api/models/ints/versions/1`));
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // ints has no production alias, so its latest version answers its plain name.
    expect(info.served).toEqual([{ model: 'ints', version: '1', digest, aliases: ['staging'], default: true, state: 'ready', source: 'registry:ints:1' }]);
  });
});

describe('management API authentication', () => {
  it('names an uploaded .onnx model after the file the client sent when no name is given', async () => {
    const response = await upload(server.url, writeIdentityModel(tempDir(), 'INT8'));
    expect(response.status).toBe(201);
    expect(await json(response)).toMatchObject({ version: { model: 'identity_int8', version: 1 } });
  });

  it('requires the bearer token when one is set', async () => {
    const guarded = await startRegistryServer(tempDir(), { server: { adminToken: 'secret-token-123' } });
    try {
      const none = await fetch(`${guarded.url}/api/models`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toContain('Bearer');
      expect((await json(none)).code).toBe('BERTH_AUTH_REQUIRED');
      const wrong = await fetch(`${guarded.url}/api/models`, { headers: { authorization: 'Bearer nope' } });
      expect((await json(wrong)).code).toBe('BERTH_AUTH_INVALID');
      const right = await fetch(`${guarded.url}/api/models`, { headers: { authorization: 'Bearer secret-token-123' } });
      expect(right.status).toBe(200);
      // Inference stays open.
      expect((await fetch(`${guarded.url}/v2/health/ready`)).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });

  it('refuses to start beyond loopback without a token', async () => {
    const { code, stderr } = await runBerth(['serve', '--host', '0.0.0.0', '--port', '0', '--home', tempDir()]);
    expect(code).toBe(1);
    expect(stderr).toContain('BERTH_ADMIN_TOKEN');
    expect(stderr).toContain('BERTH_CONFIG_INVALID');
    // The demo serves the registry too, so the same rule holds, checked before it trains anything.
    const home = tempDir();
    const demo = await runBerth(['demo', '--host', '0.0.0.0', '--port', '0', '--home', home]);
    expect(demo.code).toBe(1);
    expect(demo.stderr).toContain('server.adminToken: is required when the server listens on 0.0.0.0');
    expect(demo.stderr).toContain('BERTH_ADMIN_TOKEN');
    expect(readdirSync(home)).toEqual([]);
  });
});
