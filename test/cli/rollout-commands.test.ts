/** `berth rollback` and `berth rollout` as a user runs them: the built binary, exit codes, tables, --json, --wait beside a real server. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBerth, startBerthServe } from '../helpers/cli.js';
import { writeIdentityModel, writeReluModel } from '../helpers/models.js';
import { ONNX_FIXTURES } from '../helpers/store-backends.js';

const home = join(mkdtempSync(join(tmpdir(), 'berth-rollout-cli-')), 'home');
const berth = (args: readonly string[]) => runBerth(args, { BERTH_HOME: home });

describe('berth rollback (built binary)', { timeout: 120_000 }, () => {
  it('rolls production back along its history, then says there is nowhere left to go', async () => {
    expect((await berth(['register', ONNX_FIXTURES.relu, '--name', 'm', '--alias', 'production'])).code).toBe(0);
    expect((await berth(['register', ONNX_FIXTURES.sign, '--name', 'm', '--alias', 'production'])).code).toBe(0);
    const rolled = await berth(['rollback', 'm', '--reason', 'too slow']);
    expect(rolled).toMatchObject({ code: 0, stdout: 'Rolled back m@production: version 2 → 1\n', stderr: '' });
    const again = await berth(['rollback', 'm', '--json']);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toContain('[BERTH_REGISTRY_ROLLBACK_UNAVAILABLE]');
    const audit = JSON.parse((await berth(['audit', 'm', '--json', '--limit', '1'])).stdout) as { details: Record<string, unknown> }[];
    expect(audit[0]!.details).toEqual({ previous: 2, rollback: true, reason: 'too slow' });
  });

  it('prints JSON for scripts and refuses an unknown alias with exit code 1', async () => {
    expect((await berth(['alias', 'm', 'staging', '2'])).code).toBe(0);
    const json = await berth(['rollback', 'm', '--alias', 'staging', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ model: 'm', alias: 'staging', version: 1, previous: 2 });
    const unknown = await berth(['rollback', 'm', '--alias', 'canary']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('[BERTH_REGISTRY_ALIAS_NOT_FOUND]');
  });
});

// Each command is a process of its own, and the shared machine can be slow to start them.
describe('berth rollout (built binary)', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-rollout-models-'));

  it('starts a rollout and returns at once, shows it, refuses a second one and a roll back, and aborts it', async () => {
    expect((await berth(['register', writeIdentityModel(dir, 'FP32'), '--name', 'r', '--alias', 'production'])).code).toBe(0);
    expect((await berth(['register', writeReluModel(dir), '--name', 'r'])).code).toBe(0);
    expect((await berth(['register', writeIdentityModel(dir, 'FP64'), '--name', 'r'])).code).toBe(0);

    const bad = await berth(['rollout', 'r', '2', '--guard', 'error_rate>0.01']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Guard "error_rate>0.01" does not parse');
    expect(bad.stderr).toContain('[BERTH_ROLLOUT_GUARD_INVALID]');
    const none = await berth(['rollout', 'status', 'r']);
    expect([none.code, none.stderr.includes('[BERTH_ROLLOUT_NOT_FOUND]')]).toEqual([1, true]);

    const started = await berth(['rollout', 'r', '2', '--steps', '10,50,100', '--bake', '2m', '--interval', '5s', '--min-requests', '50', '--guard', 'error_rate<0.02', '--guard', 'p99_ms<1.5x']);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/^Started rollout \S+ of r: v1 → v2 \(10%, 50%, 100%\)\. Follow it with berth rollout status r\.\n$/);

    const status = await berth(['rollout', 'status', 'r']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('of r: v1 → v2, running');
    expect(status.stdout).toContain('steps 10%, 50%, 100%; bake 2m; checked every 5s; at least 50 requests; guards error_rate<0.02 p99_ms<1.5x');
    expect(status.stdout).toContain('starting (waiting for a server to take it)');
    const json = JSON.parse((await berth(['rollout', 'status', 'r', '--json'])).stdout) as { state: string; startedBy: { interface: string } };
    expect(json).toMatchObject({ state: 'running', startedBy: { interface: 'cli' } });

    const second = await berth(['rollout', 'r', '2']);
    expect([second.code, second.stderr.includes('[BERTH_ROLLOUT_ALREADY_RUNNING]')]).toEqual([1, true]);
    const rollback = await berth(['rollback', 'r']);
    expect([rollback.code, rollback.stderr.includes('[BERTH_ROLLOUT_RUNNING]')]).toEqual([1, true]);

    const aborted = await berth(['rollout', 'abort', 'r']);
    expect(aborted.code).toBe(0);
    expect(aborted.stdout).toMatch(/^Aborted rollout \S+ of r: traffic goes back to v1\.\n$/);
    const again = await berth(['rollout', 'abort', 'r']);
    expect([again.code, again.stderr.includes('[BERTH_ROLLOUT_NOT_RUNNING]')]).toEqual([1, true]);
    const all = await berth(['rollout', 'status', 'r', '--all']);
    expect(all.stdout).toMatch(/ID\s+FROM\s+TO\s+STATE/);
    expect(all.stdout).toContain('aborted');
  });

  it('--wait follows a rollout that a server steps to its end: exit 0 once promoted, 1 when it fails', async () => {
    const server = await startBerthServe(['--port', '0'], { BERTH_HOME: home, BERTH_LOG_LEVEL: 'warn' });
    try {
      const promoted = await berth(['rollout', 'r', '2', '--steps', '100', '--bake', '0', '--interval', '1s', '--min-requests', '0', '--wait']);
      expect(promoted.stderr).toBe('');
      expect(promoted.code).toBe(0);
      expect(promoted.stdout).toMatch(/ started +rollout from v1 to v2: .*\n.* step +100%: v2 takes every request\n.* step +step 100% passed; promoting v2 to production\n.* promoted +v2 is production/);
      expect(promoted.stdout.trimEnd().split('\n').at(-1)).toBe('v2 is production.');
      const models = JSON.parse((await berth(['models', '--json'])).stdout) as { name: string; aliases: Record<string, number> }[];
      expect(models.find((m) => m.name === 'r')?.aliases.production).toBe(2);

      // Version 3 takes FP64 inputs where callers send FP32: refused before anything starts.
      const refused = await berth(['rollout', 'r', '3', '--steps', '100', '--bake', '0', '--interval', '1s', '--wait']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('it takes inputs (x: FP64) and the production version v2 takes (x: FP32)');
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
