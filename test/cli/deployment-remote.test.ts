/**
 * `berth traffic`, `shadow`, `deployment`, `rollout` (start, status, abort) and `rollback` with
 * `--url`: the built binary against a real `berth serve` process with an admin token. The commands
 * run with a BERTH_HOME of their own, empty, so every change they make went through the server.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { node, onnxModel, tensorValueInfo } from '../../src/core/onnx-model-builder.js';
import { OnnxElementType, encodeOnnxModel } from '../../src/core/onnx-proto.js';
import { openRegistry } from '../../src/registry/index.js';
import { type ServeProcess, runBerth, startBerthServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/models.js';
import { ONNX_FIXTURES } from '../helpers/store-backends.js';

const TOKEN = 'remote-deployment-token';
const serverHome = tempDir();
/** The commands' own home: nothing in it, so a change can only have gone through --url. */
const cliHome = tempDir();
let server: ServeProcess;

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) } });
  const text = await response.text();
  expect(response.ok, `${path}: ${text}`).toBe(true);
  return JSON.parse(text) as T;
}

function berth(args: readonly string[], env: Record<string, string> = { BERTH_TOKEN: TOKEN }) {
  return runBerth([...args, '--url', server.url], { BERTH_HOME: cliHome, ...env });
}

beforeAll(async () => {
  const registry = await openRegistry({ home: serverHome });
  try {
    // Versions 1 and 2 take x: FP32 [7]; version 3 takes the same but cannot load.
    await registry.register(ONNX_FIXTURES.sign, { name: 'm', aliases: ['production'] });
    await registry.register(ONNX_FIXTURES.shrink, { name: 'm' });
    const broken = join(tempDir(), 'broken.onnx');
    writeFileSync(
      broken,
      encodeOnnxModel(
        onnxModel({
          nodes: [node('NoSuchOperator', ['x'], ['y'])],
          inputs: [tensorValueInfo('x', OnnxElementType.FLOAT, [7])],
          outputs: [tensorValueInfo('y', OnnxElementType.FLOAT, [7])],
        }),
      ),
    );
    await registry.register(broken, { name: 'm' });
  } finally {
    await registry.close();
  }
  server = await startBerthServe(['--port', '0', '--home', serverHome], { BERTH_ADMIN_TOKEN: TOKEN });
}, 60_000);

afterAll(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
});

describe('deployment commands with --url', () => {
  it('split traffic, add and remove a shadow, and show the deployment through the server', async () => {
    const split = await berth(['traffic', 'm', '1=80', '2=20', '--sticky-header', 'X-User']);
    expect(split.code, split.stderr).toBe(0);
    expect(split.stdout).toMatch(/1=80 2=20/);
    expect((await api<{ deployment: unknown }>('/api/models/m/deployment')).deployment).toMatchObject({
      variants: [{ version: 1, weight: 80 }, { version: 2, weight: 20 }],
      sticky: { kind: 'header', name: 'x-user' },
    });

    // Without the token the server refuses, and the command says so and exits 1.
    const anonymous = await berth(['traffic', 'm', '--clear'], { BERTH_TOKEN: '' });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toContain('BERTH_AUTH_REQUIRED');
    // --token works as well as BERTH_TOKEN.
    const cleared = await berth(['traffic', 'm', '--clear', '--token', TOKEN], { BERTH_TOKEN: '' });
    expect(cleared.code, cleared.stderr).toBe(0);

    // The server's own checks answer: a version that cannot load is refused, nothing changed.
    const unloadable = await berth(['shadow', 'm', '3']);
    expect(unloadable.code).toBe(1);
    expect(unloadable.stderr).toContain('BERTH_DEPLOYMENT_VERSION_UNLOADABLE');
    expect((await api<{ deployment: unknown }>('/api/models/m/deployment')).deployment).toBeNull();

    const shadowed = await berth(['shadow', 'm', '2', '--sample', '0.5', '--json']);
    expect(shadowed.code, shadowed.stderr).toBe(0);
    expect(JSON.parse(shadowed.stdout)).toMatchObject({ deployment: { variants: [], shadows: [{ version: 2, sample: 0.5 }] } });

    const shown = await berth(['deployment', 'm', '--json', '--since', '1h']);
    expect(shown.code, shown.stderr).toBe(0);
    const status = JSON.parse(shown.stdout) as { deployment: unknown; versions: { version: number; role: string; served: boolean | null }[] };
    expect(status.deployment).toMatchObject({ shadows: [{ version: 2, sample: 0.5 }] });
    // Asked of a server: it says which versions it has loaded.
    expect(status.versions!.map((v) => [v.version, v.role, v.served])).toEqual([
      [1, 'default', true],
      [2, 'shadow', true],
    ]);
    const table = await berth(['deployment', 'm']);
    expect(table.stdout).toMatch(/shadows {3}2 \(50% of requests\)/);

    const removed = await berth(['shadow', 'm', '2', '--remove']);
    expect(removed.code, removed.stderr).toBe(0);
    expect((await api<{ deployment: unknown }>('/api/models/m/deployment')).deployment).toBeNull();
    const again = await berth(['shadow', 'm', '2', '--remove']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('BERTH_DEPLOYMENT_SHADOW_NOT_FOUND');
  }, 120_000);

  it('starts, shows and aborts a rollout, and rolls back, through the server', async () => {
    const started = await berth(['rollout', 'm', '2', '--steps', '10,100', '--bake', '1h', '--interval', '1s', '--guard', 'error_rate<0.5', '--json']);
    expect(started.code, started.stderr).toBe(0);
    const record = JSON.parse(started.stdout) as { id: string; state: string; challenger: number };
    expect(record).toMatchObject({ state: 'running', challenger: 2 });
    // The server took the first step at once: 10% of the traffic to version 2.
    expect((await api<{ deployment: unknown }>('/api/models/m/deployment')).deployment).toMatchObject({ variants: [{ version: 1, weight: 90 }, { version: 2, weight: 10 }] });

    const status = await berth(['rollout', 'status', 'm', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ id: record.id, state: 'running' });
    expect((await berth(['rollout', 'status', 'm'])).stdout).toContain('10%');

    // The server refuses a roll back while its rollout owns the traffic.
    const refused = await berth(['rollback', 'm']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('BERTH_ROLLOUT_RUNNING');

    const aborted = await berth(['rollout', 'abort', 'm']);
    expect(aborted.code, aborted.stderr).toBe(0);
    expect(aborted.stdout).toContain(`Aborted rollout ${record.id}`);
    expect((await api<{ rollouts: { state: string }[] }>('/api/models/m/rollouts')).rollouts[0]?.state).toBe('aborted');
    expect((await api<{ deployment: unknown }>('/api/models/m/deployment')).deployment).toBeNull();
    const twice = await berth(['rollout', 'abort', 'm']);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('BERTH_ROLLOUT_NOT_RUNNING');

    await api('/api/models/m/aliases/production', { method: 'PUT', body: JSON.stringify({ version: 2 }) });
    const rolledBack = await berth(['rollback', 'm', '--reason', 'remote test']);
    expect(rolledBack.code, rolledBack.stderr).toBe(0);
    expect(rolledBack.stdout).toContain('version 2 → 1');
    expect((await api<{ model: { aliases: Record<string, number> } }>('/api/models/m')).model.aliases.production).toBe(1);
  }, 120_000);
});
