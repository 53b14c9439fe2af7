/**
 * Server processes as operators run them: several replicas sharing one PostgreSQL database and
 * blob folder follow the same alias moves, and a hundred swaps give back their memory.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runBerth, startBerthServe, type ServeProcess } from '../helpers/cli.js';
import { tempDir, writeHeavyModel, writeIdentityModel } from '../helpers/models.js';
import { eventually } from '../helpers/server.js';
import { POSTGRES_SKIP_REASON, POSTGRES_URL, dropSchema, uniqueSchema } from '../helpers/store-backends.js';

const started: ServeProcess[] = [];
afterAll(() => {
  for (const s of started) s.child.kill('SIGKILL');
});

async function datatype(url: string): Promise<string | undefined> {
  const response = await fetch(`${url}/v2/models/m`).catch(() => undefined);
  if (response?.status !== 200) return undefined;
  return ((await response.json()) as { inputs: { datatype: string }[] }).inputs[0]!.datatype;
}

describe.skipIf(!POSTGRES_URL)(`replicas on PostgreSQL${POSTGRES_URL ? '' : ` (${POSTGRES_SKIP_REASON})`}`, () => {
  const schema = uniqueSchema();
  afterAll(async () => {
    if (POSTGRES_URL) await dropSchema(POSTGRES_URL, schema);
  });

  it('two server processes follow alias moves made by the CLI within 2 seconds', async () => {
    const home = tempDir();
    const env = { BERTH_HOME: home, BERTH_DATABASE_URL: POSTGRES_URL!, BERTH_DATABASE_SCHEMA: schema, BERTH_REGISTRY_POLL_MS: '250' };
    const dir = tempDir();
    expect((await runBerth(['register', writeIdentityModel(dir, 'FP32'), '--name', 'm', '--alias', 'production'], env)).code).toBe(0);
    expect((await runBerth(['register', writeIdentityModel(dir, 'FP64'), '--name', 'm'], env)).code).toBe(0);
    const replicas = await Promise.all([startBerthServe(['--port', '0'], env), startBerthServe(['--port', '0'], env)]);
    started.push(...replicas);
    for (const r of replicas) expect(await datatype(r.url), r.output().stderr + r.output().stdout).toBe('FP32');

    const moved = await runBerth(['alias', 'm', 'production', '2'], env);
    expect(moved.code, moved.stderr).toBe(0);
    const at = Date.now();
    for (const r of replicas) expect(await eventually(async () => (await datatype(r.url)) === 'FP64', 2000 - (Date.now() - at))).toBe(true);

    expect((await runBerth(['alias', 'm', 'production', '1'], env)).code).toBe(0);
    for (const r of replicas) expect(await eventually(async () => (await datatype(r.url)) === 'FP32', 2000)).toBe(true);
  });
});

describe('swaps and memory', () => {
  it('returns to its memory level after a hundred swaps', async () => {
    const home = tempDir();
    const dir = tempDir();
    const env = { BERTH_HOME: home };
    // Two versions with 1 MiB of weights each: a leaked session per swap would add megabytes.
    expect((await runBerth(['register', writeHeavyModel(dir, 512), '--name', 'm', '--alias', 'production'], env)).code).toBe(0);
    const other = writeHeavyModel(tempDir(), 512);
    expect((await runBerth(['register', other, '--name', 'm', '--description', 'second'], env)).code).toBe(0);
    const server = await startBerthServe(['--port', '0', '--threads', '2'], env);
    started.push(server);
    const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))![1]) / 1024;
    const swap = async (version: number) => {
      const response = await fetch(`${server.url}/api/models/m/aliases/production`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ version }),
      });
      expect(response.status).toBe(200);
    };
    // Settle allocators and caches with a few swaps before the first reading.
    for (let i = 0; i < 10; i++) await swap(i % 2 === 0 ? 2 : 1);
    const before = rss();
    for (let i = 0; i < 100; i++) await swap(i % 2 === 0 ? 2 : 1);
    const after = rss();
    // Each version loads three sessions (two workers and a probe); a leak of even one session
    // per swap would add about 100 MiB over a hundred swaps.
    expect(after - before).toBeLessThan(40);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });
});
