/**
 * Shared object storage end to end, through the built binary: a version registered on one
 * machine (home A) with --blobs s3://… is served by another (home B) that shares only the database
 * and the bucket; when S3 goes away, the loaded version keeps serving, and commands that need S3
 * fail with BERTH_STORE_BLOBS_UNAVAILABLE and exit 1.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ServeProcess, runBerth, startBerthServe } from '../helpers/cli.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';
import { startTestS3 } from '../helpers/s3-server.js';
import { eventually } from '../helpers/server.js';
import { POSTGRES_URL, dropSchema, uniqueSchema } from '../helpers/store-backends.js';

const { s3, skip } = await startTestS3();
const work = tempDir('berth-s3-e2e-');
// PostgreSQL where the tests have it (the production setup), else one SQLite file both homes open.
const schema = uniqueSchema();
const database = POSTGRES_URL ?? `sqlite:${join(work, 'shared.db')}`;
let server: ServeProcess | undefined;
/** A replica under a model memory budget: versions load on their first request, from S3. */
let budgeted: ServeProcess | undefined;

afterAll(async () => {
  server?.child.kill('SIGKILL');
  budgeted?.child.kill('SIGKILL');
  await s3?.close();
  if (POSTGRES_URL) await dropSchema(POSTGRES_URL, schema);
  rmSync(work, { recursive: true, force: true });
});

async function infer(url: string, model: string) {
  const response = await fetch(`${url}/v2/models/${model}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }),
  });
  return { status: response.status, body: (await response.json()) as { model_version?: string; outputs?: { datatype: string; data: number[] }[]; code?: string } };
}

describe.skipIf(skip !== undefined)(`berth with --blobs s3://…${skip ? ` (${skip})` : ''}`, () => {
  const url = s3?.url() ?? '';
  const env = () => ({ ...s3!.env, BERTH_DATABASE_URL: database, ...(POSTGRES_URL ? { BERTH_DATABASE_SCHEMA: schema } : {}) });
  const model = writeIdentityModel(work, 'FP32');

  it('registers into S3 from one home and serves from another that has only the database and the bucket', async () => {
    const registered = await runBerth(['register', model, '--name', 'shared', '--alias', 'production', '--home', join(work, 'a'), '--blobs', url, '--json'], env());
    expect(registered.stderr).toBe('');
    expect(registered.code).toBe(0);
    expect(existsSync(join(work, 'a', 'blobs'))).toBe(false);

    // BERTH_BLOBS does what --blobs does.
    server = await startBerthServe(['--home', join(work, 'b'), '--port', '0', '--log-level', 'warn'], { ...env(), BERTH_BLOBS: url, BERTH_ADMIN_TOKEN: 'secret-token-1' });
    const first = await infer(server.url, 'shared');
    expect(first.status).toBe(200);
    expect(first.body.outputs?.[0]?.data).toEqual([1, 2, 3]);
    // The replica's copy is on its own disk, checked against the digest on every load.
    expect(readdirSync(join(work, 'b', 'bundles'))).toHaveLength(1);
    expect(existsSync(join(work, 'b', 'blobs'))).toBe(false);

    // A second version, not yet aliased, for the fault below.
    const second = await runBerth(['register', writeIdentityModel(work, 'FP64'), '--name', 'shared', '--home', join(work, 'a'), '--blobs', url], env());
    expect(second.code).toBe(0);

    // Wrong credentials at start: a clear error and exit 1, before anything listens.
    const wrongKey = await runBerth(['serve', '--home', join(work, 'e'), '--port', '0'], { ...env(), BERTH_BLOBS: url, AWS_ACCESS_KEY_ID: 'WRONG' });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/InvalidAccessKeyId.*\[BERTH_STORE_BLOBS_UNAVAILABLE\]/s);
    expect(wrongKey.stderr).not.toMatch(/internal error/);

    // A model the budgeted replica serves but has not loaded yet when S3 goes away.
    const cold = await runBerth(['register', writeIdentityModel(work, 'INT64'), '--name', 'cold', '--alias', 'production', '--home', join(work, 'a'), '--blobs', url], env());
    expect(cold.code).toBe(0);
    budgeted = await startBerthServe(['--home', join(work, 'd'), '--port', '0', '--log-level', 'fatal', '--model-memory', String(256 * 1024 * 1024)], { ...env(), BERTH_BLOBS: url, AWS_MAX_ATTEMPTS: '1' });
    expect(await infer(budgeted.url, 'shared')).toMatchObject({ status: 200, body: { model_version: '1' } });

    // A blob whose bytes no longer match its digest is refused at load, and nothing is served from it.
    const tamperedModel = writeIdentityModel(work, 'FP16');
    const tampered = await runBerth(['register', tamperedModel, '--name', 'tampered', '--alias', 'production', '--home', join(work, 'a'), '--blobs', url], env());
    expect(tampered.code).toBe(0);
    const hex = createHash('sha256').update(readFileSync(tamperedModel)).digest('hex');
    const client = new S3Client({ ...s3!.client, endpoint: s3!.endpoint, forcePathStyle: true });
    await client.send(new PutObjectCommand({ Bucket: s3!.bucket, Key: `${url.slice(`s3://${s3!.bucket}/`.length)}/sha256/${hex}`, Body: readFileSync(writeIdentityModel(work, 'FP32')) }));
    client.destroy();
    expect(await eventually(async () => (await fetch(`${budgeted!.url}/v2/models/tampered`)).status === 200, 10_000)).toBe(true);
    const refused = await fetch(`${budgeted.url}/v2/models/tampered/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP16', data: [1, 2, 3] }] }),
    });
    expect(refused.status).toBe(500);
    expect(((await refused.json()) as { code: string }).code).toBe('BERTH_STORE_BLOB_CORRUPT');
    expect(readdirSync(join(work, 'd', 'bundles')).some((name) => name.includes(hex))).toBe(false);
  });

  it('keeps serving what is loaded when S3 goes away; commands that need S3 exit 1 with a clear error', async () => {
    await s3!.close();
    const again = await infer(server!.url, 'shared');
    expect(again.status).toBe(200);
    expect(again.body.outputs?.[0]?.data).toEqual([1, 2, 3]);

    // Registering through the API needs S3: 503 with a retry hint, not a 500.
    const form = new FormData();
    form.append('file', new Blob([readFileSync(writeIdentityModel(work, 'INT32'))]), 'other.onnx');
    const uploaded = await fetch(`${server!.url}/api/models`, { method: 'POST', body: form, headers: { authorization: 'Bearer secret-token-1' } });
    expect(uploaded.status).toBe(503);
    expect(uploaded.headers.get('retry-after')).toBe('1');
    expect(((await uploaded.json()) as { code: string }).code).toBe('BERTH_STORE_BLOBS_UNAVAILABLE');

    // An alias moved to a version this replica cannot fetch: the version it served keeps
    // answering, and the failed load is reported until S3 is back.
    const moved = await fetch(`${server!.url}/api/models/shared/aliases/production`, {
      method: 'PUT',
      headers: { authorization: 'Bearer secret-token-1', 'content-type': 'application/json' },
      body: JSON.stringify({ version: 2 }),
    });
    expect(moved.status).toBe(200);
    const still = await infer(server!.url, 'shared');
    expect(still.status).toBe(200);
    expect(still.body).toMatchObject({ model_version: '1', outputs: [{ datatype: 'FP32', data: [1, 2, 3] }] });
    const info = (await (await fetch(`${server!.url}/api/server`, { headers: { authorization: 'Bearer secret-token-1' } })).json()) as { failures: { model: string; version: string; reason: string }[] };
    // (The tampered model's failure may be listed too, if this replica saw it after the damage.)
    expect(info.failures.filter((f) => f.model === 'shared')).toEqual([expect.objectContaining({ model: 'shared', version: '2', reason: expect.stringMatching(/Cannot use the blob store s3:\/\/.*ECONNREFUSED/s) })]);

    // Under a memory budget, a version already in this replica's cache keeps serving, and one
    // whose first load needs S3 is refused with 503 and a retry hint, not a 500.
    expect(await infer(budgeted!.url, 'shared')).toMatchObject({ status: 200, body: { model_version: '1' } });
    const coldLoad = await fetch(`${budgeted!.url}/v2/models/cold/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 3], datatype: 'INT64', data: [1, 2, 3] }] }),
    });
    expect(coldLoad.status).toBe(503);
    expect(coldLoad.headers.get('retry-after')).toBe('1');
    expect(((await coldLoad.json()) as { code: string }).code).toBe('BERTH_STORE_BLOBS_UNAVAILABLE');
    expect(await infer(budgeted!.url, 'shared')).toMatchObject({ status: 200, body: { model_version: '1' } });

    const registered = await runBerth(['register', model, '--name', 'other', '--home', join(work, 'a'), '--blobs', url], { ...env(), AWS_MAX_ATTEMPTS: '1' });
    expect(registered.code).toBe(1);
    expect(registered.stderr).toMatch(/\[BERTH_STORE_BLOBS_UNAVAILABLE\]/);
    expect(registered.stderr).toMatch(/ECONNREFUSED/);

    const started = await runBerth(['serve', '--home', join(work, 'c'), '--port', '0', '--blobs', url], { ...env(), AWS_MAX_ATTEMPTS: '1' });
    expect(started.code).toBe(1);
    expect(started.stderr).toMatch(/\[BERTH_STORE_BLOBS_UNAVAILABLE\]/);
    expect(started.stderr).not.toMatch(/internal error/);
  });
});
