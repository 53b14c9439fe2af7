/**
 * Processes sharing one SQLite BERTH_HOME, as a user runs them (the built binary): `berth serve`
 * answering while another process holds the database's write lock, a CLI write waiting for it,
 * two servers on one home, and BERTH_STORE_LOCKED once a wait runs out.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ServeProcess, runBerth, startBerth, startBerthServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/models.js';
import { eventually, tracked } from '../helpers/server.js';
import { type SqliteLockHolder, holdSqliteWriteLock } from '../helpers/sqlite-lock-holder.js';
import { ONNX_FIXTURES } from '../helpers/store-backends.js';

const home = join(tempDir('berth-shared-home-'), 'home');
const file = join(home, 'berth.db');
const env = { BERTH_HOME: home };
const servers: ServeProcess[] = [];
let holder: SqliteLockHolder | undefined;

async function serve(extraEnv: Record<string, string> = {}): Promise<ServeProcess> {
  const server = await startBerthServe(['--port', '0', '--log-level', 'fatal'], { ...env, ...extraEnv });
  servers.push(server);
  return server;
}

/** Whether process `pid` has the database file open (its connection is made). */
function hasDatabaseOpen(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === file;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

beforeAll(async () => {
  for (const [model, alias] of [[ONNX_FIXTURES.relu, ['--alias', 'production']], [ONNX_FIXTURES.sign, []]] as const) {
    const registered = await runBerth(['register', model, '--name', 'digits', ...alias], env);
    expect(registered.stderr).toBe('');
  }
});

afterEach(async () => {
  await holder?.release().catch(() => undefined);
  holder = undefined;
});

afterAll(async () => {
  for (const server of servers) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
});

describe.skipIf(process.platform !== 'linux')('processes sharing one SQLite BERTH_HOME', () => {
  it('keep serving while another process holds the write lock, and write once it is released', async () => {
    // Waits far longer than this test can take on a loaded machine, so both writes are still waiting when checked.
    const longWait = { BERTH_DATABASE_LOCK_WAIT_MS: '120000' };
    const server = await serve(longWait);
    holder = await holdSqliteWriteLock(file);

    // A write through the server (one statement, outside a transaction) and one by the CLI.
    const removal = tracked(fetch(`${server.url}/api/models/digits/retrain/policy`, { method: 'DELETE' }));
    const alias = startBerth(['alias', 'digits', 'production', '2'], { ...env, ...longWait });
    const aliased = tracked(alias.result);
    expect(await eventually(() => hasDatabaseOpen(alias.pid), 30_000)).toBe(true);

    // The server's event loop keeps turning: probes and reads answer while both writes wait.
    for (let round = 0; round < 5; round++) {
      expect((await fetch(`${server.url}/v2/health/live`)).status).toBe(200);
      const models = await fetch(`${server.url}/api/models`);
      expect(models.status).toBe(200);
    }
    expect([removal.settled(), aliased.settled()]).toEqual([false, false]);

    await holder.release();
    const removed = await removal.promise;
    expect(removed.status, await removed.clone().text()).toBe(200);
    expect(await removed.json()).toMatchObject({ model: 'digits', policy: null });
    expect(await aliased.promise).toEqual({ code: 0, stdout: 'digits@production → version 2 (was 1)\n', stderr: '' });
  });

  it('answers BERTH_STORE_LOCKED (503, exit code 1) once the lock wait runs out', async () => {
    // A second server on the same home, waiting only briefly.
    const server = await serve({ BERTH_DATABASE_LOCK_WAIT_MS: '300' });
    holder = await holdSqliteWriteLock(file);

    const refused = await fetch(`${server.url}/api/models/digits/retrain/policy`, { method: 'DELETE' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    const body = (await refused.json()) as { code: string; error: string };
    expect(body.code).toBe('BERTH_STORE_LOCKED');
    expect(body.error).toContain(`SQLite database ${file} is locked by another process`);

    const cli = await runBerth(['alias', 'digits', 'production', '1'], { ...env, BERTH_DATABASE_LOCK_WAIT_MS: '300' });
    expect(cli.code).toBe(1);
    expect(cli.stdout).toBe('');
    expect(cli.stderr).toMatch(/^berth: The SQLite database .* is locked by another process .*300 ms.* \[BERTH_STORE_LOCKED\]\n$/);

    await holder.release();
    expect(await runBerth(['alias', 'digits', 'production', '1'], { ...env, BERTH_DATABASE_LOCK_WAIT_MS: '300' })).toMatchObject({ code: 0 });
  });

  it('open the migrated store without the write lock: reading commands and a server start do not wait for it', async () => {
    holder = await holdSqliteWriteLock(file);
    // A short lock wait, so that a command that did wait would fail (exit 1) rather than hang.
    const shortWait = { ...env, BERTH_DATABASE_LOCK_WAIT_MS: '1000' };

    const models = await runBerth(['models'], shortWait);
    expect(models.stderr).toBe('');
    expect(models.code).toBe(0);
    expect(models.stdout).toMatch(/^digits +2 +2 /m);
    const versions = await runBerth(['versions', 'digits'], shortWait);
    expect(versions.stderr).toBe('');
    expect(versions.code).toBe(0);

    const server = await serve(shortWait);
    expect((await fetch(`${server.url}/v2/health/ready`)).status).toBe(200);
    const listed = await fetch(`${server.url}/api/models`);
    expect(listed.status).toBe(200);
    expect(JSON.stringify(await listed.json())).toContain('"digits"');
    // A write still waits for the lock, and then runs.
    const alias = startBerth(['alias', 'digits', 'staging', '2'], env);
    const aliased = tracked(alias.result);
    expect(await eventually(() => hasDatabaseOpen(alias.pid), 30_000)).toBe(true);
    expect((await runBerth(['models'], shortWait)).code).toBe(0);
    expect(aliased.settled()).toBe(false);
    await holder.release();
    expect(await aliased.promise).toMatchObject({ code: 0 });
  });

  it("logs background writes that wait out another process's lock as warnings, and writes them once it is released", async () => {
    const server = await startBerthServe(['--port', '0', '--log-level', 'info'], { ...env, BERTH_DATABASE_LOCK_WAIT_MS: '300', BERTH_MONITOR_FLUSH_INTERVAL_MS: '200' });
    servers.push(server);
    holder = await holdSqliteWriteLock(file);
    const metadata = (await (await fetch(`${server.url}/v2/models/digits`)).json()) as { inputs: { name: string; shape: number[]; datatype: string }[] };
    const input = metadata.inputs[0]!;
    const shape = input.shape.map((size) => (size < 0 ? 1 : size));
    const answered = await fetch(`${server.url}/v2/models/digits/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: input.name, shape, datatype: input.datatype, data: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i - 1) }] }),
    });
    expect(answered.status, await answered.clone().text()).toBe(200);

    const logLines = () =>
      server
        .output()
        .stdout.concat(server.output().stderr)
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: number; msg: string; err?: { code?: string } });
    // The monitor's flush finds the file locked every interval: a warning, never an error.
    expect(await eventually(() => logLines().some((line) => line.level === 40 && line.err?.code === 'BERTH_STORE_LOCKED'), 30_000)).toBe(true);
    expect(logLines().filter((line) => line.level >= 50)).toEqual([]);

    await holder.release();
    // Read from the file by another connection: the request's window was written after all.
    const requestsWritten = () => {
      const db = new Database(file, { readonly: true });
      try {
        return Number((db.prepare("select coalesce(sum(requests), 0) as n from monitor_windows where model = 'digits'").get() as { n: number }).n);
      } finally {
        db.close();
      }
    };
    expect(await eventually(() => requestsWritten() === 1, 30_000)).toBe(true);
  });
});
