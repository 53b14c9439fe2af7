/**
 * Requests that wait for a cold load are counted by how the wait ended
 * (`berth_model_cold_load_waits_total{model,outcome}`), through the built binary: a replica under a
 * memory budget fetches its versions from S3 through a proxy the test controls, so a load can be
 * held on S3 until the request gives up (timeout), or cut off (failed).
 */
import { rmSync } from 'node:fs';
import { type Socket, type Server, createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ServeProcess, runBerth, startBerthServe } from '../helpers/cli.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';
import { startTestS3 } from '../helpers/s3-server.js';
import { eventually } from '../helpers/server.js';

const { s3, skip } = await startTestS3();
const work = tempDir('berth-cold-waits-');
let server: ServeProcess | undefined;
let proxy: S3Proxy | undefined;

afterAll(async () => {
  server?.child.kill('SIGKILL');
  await proxy?.close();
  await s3?.close();
  rmSync(work, { recursive: true, force: true });
});

/**
 * A TCP proxy in front of the S3 server: `pass` forwards, `hold` keeps what callers send until
 * `pass` again (a stalled endpoint), `cut` drops every connection (S3 gone).
 */
interface S3Proxy {
  readonly endpoint: string;
  mode(mode: 'pass' | 'hold' | 'cut'): void;
  close(): Promise<void>;
}

async function startProxy(target: URL): Promise<S3Proxy> {
  let mode: 'pass' | 'hold' | 'cut' = 'pass';
  const connections = new Set<{ client: Socket; upstream: Socket; held: Buffer[] }>();
  const server: Server = createServer((client) => {
    if (mode === 'cut') return void client.destroy();
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    const connection = { client, upstream, held: [] as Buffer[] };
    connections.add(connection);
    client.on('data', (chunk: Buffer) => (mode === 'hold' ? connection.held.push(chunk) : upstream.write(chunk)));
    upstream.pipe(client);
    const end = (): void => {
      connections.delete(connection);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    mode(next) {
      mode = next;
      for (const connection of connections) {
        if (next === 'cut') connection.client.destroy();
        if (next === 'pass') for (const chunk of connection.held.splice(0)) connection.upstream.write(chunk);
      }
    },
    close: () => {
      for (const { client } of connections) client.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function waits(model: string, outcome: string): Promise<number> {
  const text = await (await fetch(`${server!.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`berth_model_cold_load_waits_total{model="${model}",outcome="${outcome}"}`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

async function infer(model: string) {
  const response = await fetch(`${server!.url}/v2/models/${model}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }),
  });
  return { status: response.status, body: (await response.json()) as { code?: string; outputs?: { data: number[] }[] } };
}

async function state(model: string): Promise<string | undefined> {
  const body = (await (await fetch(`${server!.url}/api/server`)).json()) as { served: { model: string; state: string }[] };
  return body.served.find((s) => s.model === model)?.state;
}

describe.skipIf(skip !== undefined)(`requests waiting for a cold load${skip ? ` (${skip})` : ''}`, () => {
  it('are counted as served, timed out or failed', async () => {
    const url = s3!.url();
    const env = { ...s3!.env, BERTH_DATABASE_URL: `sqlite:${join(work, 'shared.db')}` };
    const model = writeIdentityModel(work, 'FP32');
    for (const name of ['held', 'cut']) {
      const registered = await runBerth(['register', model, '--name', name, '--home', join(work, 'a'), '--blobs', url], env);
      expect(registered.code, registered.stderr).toBe(0);
    }
    proxy = await startProxy(new URL(s3!.endpoint));
    server = await startBerthServe(
      ['--home', join(work, 'b'), '--port', '0', '--log-level', 'fatal', '--model-memory', String(256 * 1024 * 1024), '--cold-load-timeout-ms', '2000'],
      { ...env, BERTH_BLOBS: url, BERTH_S3_ENDPOINT: proxy.endpoint, AWS_MAX_ATTEMPTS: '1' },
    );
    expect(await state('held')).toBe('unloaded');

    // The load waits on S3 for as long as the test holds it: the request gives up at its timeout.
    proxy.mode('hold');
    const timedOut = await infer('held');
    expect(timedOut).toMatchObject({ status: 503, body: { code: 'BERTH_MODEL_COLD_LOAD_TIMEOUT' } });
    expect(await waits('held', 'timeout')).toBe(1);
    expect(await waits('held', 'served')).toBe(0);
    // The load carried on and finishes once S3 answers; the next request finds it loaded.
    proxy.mode('pass');
    expect(await eventually(async () => (await state('held')) === 'ready', 30_000)).toBe(true);
    expect(await infer('held')).toMatchObject({ status: 200, body: { outputs: [{ data: [1, 2, 3] }] } });
    expect(await waits('held', 'timeout')).toBe(1);
    expect(await waits('held', 'served')).toBe(0);

    // S3 gone: the load fails (well within the timeout) and the request gets its error.
    proxy.mode('cut');
    const failed = await infer('cut');
    expect(failed).toMatchObject({ status: 503, body: { code: 'BERTH_STORE_BLOBS_UNAVAILABLE' } });
    expect(await waits('cut', 'failed')).toBe(1);
    expect(await waits('cut', 'timeout')).toBe(0);
  });
});
