/**
 * Scoped API keys end to end: created over /api/keys and from the command line, and checked by
 * every protocol (REST inference, KServe V1, gRPC, the management API, /metrics) with the scopes
 * and model limits they carry; revoked keys are refused; the admin token keeps working.
 */
import { Metadata, credentials, status as GrpcCode, type Client, type ServiceError } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oipGrpcService } from '../../dist/serve/grpc/oip-grpc-proto.js';
import { runBerth } from '../helpers/cli.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';
import { eventually, postJson, startRegistryServer } from '../helpers/server.js';

const ADMIN = 'admin-token-for-tests';
const home = tempDir();
let server: Awaited<ReturnType<typeof startRegistryServer>>;
let client: Client & Record<string, (request: unknown, metadata: Metadata, callback: (error: ServiceError | null, response: never) => void) => void>;
const keys: Record<string, string> = {};
const ids: Record<string, string> = {};

const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });
const infer = (model: string, headers: Record<string, string> = {}) =>
  postJson(`${server.url}/v2/models/${model}/infer`, { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] }, headers);
const get = async (path: string, headers: Record<string, string> = {}) => {
  const response = await fetch(`${server.url}${path}`, { headers });
  const text = await response.text();
  return { status: response.status, code: (text.startsWith('{') ? (JSON.parse(text) as { code?: string }).code : undefined) ?? null, text };
};

function grpc<T>(method: string, request: unknown, credential?: string): Promise<T> {
  const metadata = new Metadata();
  if (credential) metadata.set('authorization', `Bearer ${credential}`);
  return new Promise((resolve, reject) => client[method]!(request, metadata, (error, response) => (error ? reject(error) : resolve(response as T))));
}

beforeAll(async () => {
  const dir = tempDir();
  const { openRegistry } = await import('../../dist/registry/index.js');
  const registry = await openRegistry({ home });
  await registry.register(writeIdentityModel(dir, 'FP32'), { name: 'ident', aliases: ['production'] });
  await registry.register(writeIdentityModel(dir, 'FP64'), { name: 'other', aliases: ['production'] });
  await registry.close();
  server = await startRegistryServer(home, { server: { adminToken: ADMIN, inferenceAuth: true, grpcPort: 0 } });
  for (const [name, body] of Object.entries({
    predict: { scopes: ['predict'], name: 'predictor' },
    identOnly: { scopes: ['predict'], model: 'ident' },
    read: { scopes: ['read'] },
    admin: { scopes: ['admin'] },
  })) {
    const created = await postJson(`${server.url}/api/keys`, body, bearer(ADMIN));
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    keys[name] = (created.json as { key: string }).key;
    ids[name] = (created.json as { record: { id: string } }).record.id;
  }
  const Service = oipGrpcService();
  client = new Service(`127.0.0.1:${server.grpcPort}`, credentials.createInsecure()) as unknown as typeof client;
});
afterAll(async () => {
  client?.close();
  await server?.close();
});

describe('API keys', () => {
  it('lets a predict key run models and nothing else', async () => {
    expect((await infer('ident', bearer(keys.predict!))).status).toBe(200);
    expect((await get('/v2/models/ident', bearer(keys.predict!))).status).toBe(200);
    const v1 = await postJson(`${server.url}/v1/models/ident:predict`, { instances: [[1, 2, 3]] }, bearer(keys.predict!));
    expect(v1.status).toBe(200);
    const registry = await get('/api/models', bearer(keys.predict!));
    expect(registry).toMatchObject({ status: 403, code: 'BERTH_AUTH_FORBIDDEN' });
    expect(registry.text).toContain('needs scope read');
    expect(await get('/metrics', bearer(keys.predict!))).toMatchObject({ status: 403 });
  });

  it('requires a credential for inference, metadata and metrics, but never for probes or the API description', async () => {
    const none = await infer('ident');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(none.json.code).toBe('BERTH_AUTH_REQUIRED');
    expect((await infer('ident', bearer('berth_not-a-key'))).json.code).toBe('BERTH_AUTH_INVALID');
    expect((await get('/v2/models/ident')).status).toBe(401);
    expect((await get('/metrics')).status).toBe(401);
    expect((await get('/metrics', bearer(keys.read!))).status).toBe(200);
    for (const open of ['/v2/health/live', '/v2/health/ready', '/api/openapi.json', '/api/docs', '/api/docs/json']) {
      expect((await get(open)).status, open).toBe(200);
    }
    // The admin token still does everything.
    expect((await infer('ident', bearer(ADMIN))).status).toBe(200);
  });

  it('keeps a key limited to one model off the others and off routes spanning models', async () => {
    expect((await infer('ident', bearer(keys.identOnly!))).status).toBe(200);
    const other = await infer('other', bearer(keys.identOnly!));
    expect(other.status).toBe(403);
    expect(other.json.error).toContain("limited to model 'ident'");
    const predict = await postJson(`${server.url}/api/models/other@production/predict`, { rows: [{}] }, bearer(keys.identOnly!));
    expect(predict.status).toBe(403);
    expect((await get('/v2', bearer(keys.identOnly!))).status).toBe(403);
  });

  it('lets a read key read the management API but change nothing', async () => {
    expect((await get('/api/models', bearer(keys.read!))).status).toBe(200);
    expect((await infer('ident', bearer(keys.read!))).json.code).toBe('BERTH_AUTH_FORBIDDEN');
    const move = await fetch(`${server.url}/api/models/ident/aliases/staging`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...bearer(keys.read!) },
      body: '{"version":1}',
    });
    expect(move.status).toBe(403);
    expect((await get('/api/keys', bearer(keys.read!))).status).toBe(403);
    const move2 = await fetch(`${server.url}/api/models/ident/aliases/staging`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...bearer(keys.admin!) },
      body: '{"version":1}',
    });
    expect(move2.status).toBe(200);
  });

  it('checks gRPC calls the same way', async () => {
    const request = { model_name: 'ident', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: [1, 2, 3] } }] };
    expect(await grpc('ServerLive', {})).toEqual({ live: true });
    await expect(grpc('ModelInfer', request)).rejects.toMatchObject({ code: GrpcCode.UNAUTHENTICATED });
    await expect(grpc('ModelInfer', request, keys.read)).rejects.toMatchObject({ code: GrpcCode.PERMISSION_DENIED });
    await expect(grpc('ModelInfer', { ...request, model_name: 'other' }, keys.identOnly)).rejects.toMatchObject({ code: GrpcCode.PERMISSION_DENIED });
    expect(await grpc<{ model_name: string }>('ModelInfer', request, keys.identOnly)).toMatchObject({ model_name: 'ident' });
    expect(await grpc<{ name: string }>('ModelMetadata', { name: 'ident' }, keys.read)).toMatchObject({ name: 'ident' });
  });

  it('lists keys without the keys, keeps only hashes in the database, and refuses a revoked key at once', async () => {
    const listed = await get('/api/keys', bearer(keys.admin!));
    expect(listed.status).toBe(200);
    for (const key of Object.values(keys)) expect(listed.text).not.toContain(key);
    const database = readFileSync(join(home, 'berth.db'));
    for (const key of Object.values(keys)) expect(database.includes(key.slice(10))).toBe(false);

    const key = (await postJson(`${server.url}/api/keys`, { scopes: ['predict'] }, bearer(ADMIN))).json as { key: string; record: { id: string } };
    expect((await infer('ident', bearer(key.key))).status).toBe(200);
    const revoked = await fetch(`${server.url}/api/keys/${key.record.id}`, { method: 'DELETE', headers: bearer(keys.admin!) });
    expect(revoked.status).toBe(200);
    expect((await infer('ident', bearer(key.key))).json.code).toBe('BERTH_AUTH_INVALID');
    expect((await fetch(`${server.url}/api/keys/nope`, { method: 'DELETE', headers: bearer(ADMIN) })).status).toBe(404);
    const bad = await postJson(`${server.url}/api/keys`, { scopes: ['write'] }, bearer(ADMIN));
    expect(bad.status).toBe(400);
  });

  it('berth keys create, list and revoke work on the same registry, and the server follows', async () => {
    const created = await runBerth(['keys', 'create', '--scope', 'predict', '--model', 'ident', '--name', 'cli-made', '--home', home]);
    expect(created.code, created.stderr).toBe(0);
    const key = /^\s+(berth_\S+)$/m.exec(created.stdout)![1]!;
    expect(created.stdout).toContain('not shown again');
    expect((await infer('ident', bearer(key))).status).toBe(200);
    const list = await runBerth(['keys', 'list', '--home', home, '--json']);
    const records = JSON.parse(list.stdout) as { id: string; name: string; revoked: string | null }[];
    expect(list.stdout).not.toContain(key);
    const mine = records.find((r) => r.name === 'cli-made')!;
    const table = await runBerth(['keys', 'list', '--home', home]);
    expect(table.stdout).toContain('cli-made');
    const revoke = await runBerth(['keys', 'revoke', mine.id, '--home', home]);
    expect(revoke.stdout).toContain(`Revoked API key ${mine.id}`);
    // Another process revoked it: this server trusts what it looked up for at most a second.
    expect(await eventually(async () => (await infer('ident', bearer(key))).status === 401, 5000)).toBe(true);
    const missing = await runBerth(['keys', 'revoke', 'nope', '--home', home]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('BERTH_API_KEY_NOT_FOUND');
    const noScope = await runBerth(['keys', 'create', '--scope', 'everything', '--home', home]);
    expect(noScope.stderr).toContain("'everything' is not a scope");
  });
});

describe('inferenceAuth without anything to check', () => {
  it('refuses to start serving model files with no admin token', async () => {
    const { code, stderr } = await runBerth(['serve', writeIdentityModel(tempDir(), 'FP32'), '--port', '0', '--inference-auth']);
    expect(code).toBe(1);
    expect(stderr).toContain('BERTH_INFERENCE_AUTH');
  });
});
