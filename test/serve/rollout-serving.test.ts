/**
 * Rollouts on a real server serving real ONNX models, driven by the test's clock and explicit
 * ticks of the rollout runner (no sleeping, no timing assumptions): a challenger whose Gather
 * index comes from the input, so it fails on part of the inputs, is rolled back by the
 * error-rate guard during its 10% step with the reason recorded and an alert delivered; a healthy
 * challenger is promoted; a challenger that cannot load fails at once with traffic untouched; and
 * a rollout goes on across a server restart. Requests carry sticky keys, so which version answers
 * each one is fixed by its key, not by chance.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attribute, floatTensor, int64Tensor, node, onnxModel, tensorValueInfo } from '../../src/core/onnx-model-builder.js';
import { OnnxElementType, encodeOnnxModel } from '../../src/core/onnx-proto.js';
import { tempDir } from '../helpers/models.js';
import { postJson, startRegistryServer } from '../helpers/server.js';

type Berth = Awaited<ReturnType<typeof startRegistryServer>>;

const X = tensorValueInfo('x', OnnxElementType.FLOAT, ['batch', 2]);
const Y = tensorValueInfo('y', OnnxElementType.FLOAT, ['batch', 1]);

/** The champion: y = x0 + x1. */
function writeSumModel(dir: string): string {
  const path = join(dir, 'sum.onnx');
  writeFileSync(path, encodeOnnxModel(onnxModel({ nodes: [node('MatMul', ['x', 'w'], ['y'])], inputs: [X], outputs: [Y], initializers: [floatTensor('w', [2, 1], [1, 1])] })));
  return path;
}

/**
 * y = table[x0]: Gather's index comes from the input, so any x0 at or past the table's length
 * fails in onnxruntime at run time, request by request.
 */
function writeLookupModel(dir: string, table: readonly number[]): string {
  const path = join(dir, `lookup-${table.length}-${table[1]}.onnx`);
  const model = onnxModel({
    nodes: [
      node('Slice', ['x', 'starts', 'ends', 'axes'], ['first']),
      node('Cast', ['first'], ['index'], [attribute('to', OnnxElementType.INT64, 'int')]),
      node('Gather', ['table', 'index'], ['y']),
    ],
    inputs: [X],
    outputs: [Y],
    initializers: [floatTensor('table', [table.length], table), int64Tensor('starts', [1], [0]), int64Tensor('ends', [1], [1]), int64Tensor('axes', [1], [1])],
  });
  writeFileSync(path, encodeOnnxModel(model));
  return path;
}

/** A model onnxruntime cannot load (an operator that does not exist), with the champion's signature. */
function writeBrokenModel(dir: string): string {
  const path = join(dir, 'broken.onnx');
  writeFileSync(path, encodeOnnxModel(onnxModel({ nodes: [node('NoSuchOperator', ['x'], ['y'])], inputs: [X], outputs: [Y] })));
  return path;
}

const home = tempDir('berth-rollout-home-');
const clock = { now: Date.now() };
let berth: Berth;
let webhook: Server;
const alerts: Record<string, unknown>[] = [];

async function start(): Promise<Berth> {
  const port = (webhook.address() as { port: number }).port;
  return startRegistryServer(
    home,
    { monitor: { webhooks: [`http://127.0.0.1:${port}/hook`], webhookAllowPrivate: ['127.0.0.1'] } },
    { now: () => clock.now, rolloutTimers: false },
  );
}

/** Sends one request per key (x0 = key index mod 10) and returns each answer's version and status. */
async function send(keys: readonly string[]): Promise<{ version: string | null; status: number; x0: number }[]> {
  const answers: { version: string | null; status: number; x0: number }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < keys.length) {
        const i = next++;
        const x0 = i % 10;
        const response = await fetch(`${berth.url}/v2/models/m/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-berth-route-key': keys[i]! },
          body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [x0, 1] }] }),
        });
        const body = (await response.json()) as { model_version?: string };
        answers.push({ version: response.headers.get('x-berth-model-version') ?? body.model_version ?? null, status: response.status, x0 });
      }
    }),
  );
  return answers;
}

const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

async function rollout(id: string): Promise<Record<string, unknown> & { state: string; reason: string | null; events: { kind: string; replica?: string }[]; lastCheck: Record<string, unknown> | null }> {
  const response = await fetch(`${berth.url}/api/models/m/rollouts/${id}`);
  return (await response.json()) as never;
}

async function tick(ms: number): Promise<void> {
  clock.now += ms;
  await berth.rollouts!.runner.tick();
}

beforeAll(async () => {
  webhook = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      alerts.push(JSON.parse(body) as Record<string, unknown>);
      response.end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  berth = await start();
  const dir = tempDir();
  await berth.registry.register(writeSumModel(dir), { name: 'm', aliases: ['production'] });
  await berth.registry.register(writeLookupModel(dir, [0, 1, 2]), { name: 'm' }); // v2: fails for x0 >= 3
  await berth.registry.register(writeLookupModel(dir, Array.from({ length: 16 }, (_, i) => i)), { name: 'm' }); // v3: healthy
  await berth.registry.register(writeLookupModel(dir, Array.from({ length: 16 }, (_, i) => 2 * i)), { name: 'm' }); // v4: healthy
  await berth.registry.register(writeBrokenModel(dir), { name: 'm' }); // v5: cannot load
}, 120_000);

afterAll(async () => {
  await berth?.close();
  await new Promise((resolve) => webhook?.close(resolve));
});

describe('rollouts on a real server', { timeout: 180_000 }, () => {
  it('rolls a challenger that fails on part of its inputs back during its 10% step, by the error-rate guard', async () => {
    const started = await postJson(`${berth.url}/api/models/m/rollouts`, { version: 2, steps: '10,50,100', bake: '1m', interval: '10s', minRequests: 20, guards: ['error_rate<0.05', 'p99_ms<1000'] });
    expect(started.status).toBe(201);
    expect(started.json).toMatchObject({ state: 'running', step: { index: 0, name: '10%' } });
    const id = started.json.id as string;

    const answers = await send(keys('user', 400));
    const byV2 = answers.filter((a) => a.version === '2');
    const failedV2 = byV2.filter((a) => a.status !== 200);
    // The split: every answer comes from v1 or v2, about a tenth from v2 (fixed by the keys).
    expect(answers.every((a) => a.version === '1' || a.version === '2')).toBe(true);
    expect(byV2.length).toBeGreaterThanOrEqual(20);
    expect(byV2.length).toBeLessThan(80);
    // v2 fails exactly where its Gather index is out of range; v1 never fails.
    expect(failedV2.every((a) => a.x0 >= 3 && a.status === 500)).toBe(true);
    expect(byV2.filter((a) => a.x0 >= 3)).toEqual(failedV2);
    expect(answers.filter((a) => a.version === '1').every((a) => a.status === 200)).toBe(true);

    await tick(10_000);
    const after = await rollout(id);
    const rate = failedV2.length / byV2.length;
    expect(after.state).toBe('rolled_back');
    expect(after.reason).toContain(`guard error_rate<0.05 breached at step 10%: it was ${Number(rate.toPrecision(4))} (limit 0.05, champion 0) over ${byV2.length} requests`);
    expect(after.lastCheck).toMatchObject({ challenger: { requests: byV2.length, errors: failedV2.length }, champion: { requests: answers.length - byV2.length, errors: 0 } });
    expect(after.events.map((e) => e.kind)).toEqual(['started', 'step', 'rolled_back']);
    expect(await berth.registry.getDeployment('m')).toBeNull();
    expect(alerts).toEqual([expect.objectContaining({ model: 'm', version: '2', rule: expect.objectContaining({ type: 'rollout_guard' }), rollout: expect.objectContaining({ id, state: 'rolled_back', guard: 'error_rate<0.05' }) })]);

    // Every request is the champion's again, at once.
    const back = await send(keys('user', 100));
    expect(back.every((a) => a.version === '1' && a.status === 200)).toBe(true);
  });

  it('fails a challenger that cannot load at once, before any traffic moves', async () => {
    const before = await berth.registry.changeSequence();
    const failed = await postJson(`${berth.url}/api/models/m/rollouts`, { version: 5, steps: '10,100' });
    expect([failed.status, failed.json.code]).toEqual([422, 'BERTH_ROLLOUT_CHALLENGER_FAILED']);
    expect(await berth.registry.getDeployment('m')).toBeNull();
    expect(await berth.registry.changeSequence()).toBe(before);
    const answers = await send(keys('user', 50));
    expect(answers.every((a) => a.version === '1' && a.status === 200)).toBe(true);
  });

  it('promotes a healthy challenger once every step has baked', async () => {
    const started = await postJson(`${berth.url}/api/models/m/rollouts`, { version: 3, steps: '10,100', bake: '30s', interval: '10s', minRequests: 20, guards: ['error_rate<0.01', 'p99_ms<1000', 'drift<0.9'] });
    const id = started.json.id as string;
    const first = await send(keys('user', 400));
    expect(first.every((a) => a.status === 200)).toBe(true);
    await tick(10_000);
    expect((await rollout(id)).lastCheck).toMatchObject({ waiting: '20s of bake time left' });
    await tick(20_000);
    expect((await rollout(id)).step).toMatchObject({ name: '100%' });
    const all = await send(keys('user', 40));
    expect(all.every((a) => a.version === '3' && a.status === 200)).toBe(true);
    await tick(30_000);
    const done = await rollout(id);
    expect(done.state).toBe('succeeded');
    expect((await berth.registry.getModel('m')).aliases.production).toBe(3);
    expect(await berth.registry.getDeployment('m')).toBeNull();
    expect((await send(keys('user', 20))).every((a) => a.version === '3')).toBe(true);
  });

  it('goes on after a restart: the new server takes the rollout over where its row says', async () => {
    const started = await postJson(`${berth.url}/api/models/m/rollouts`, { version: 4, steps: '10,100', bake: '0', interval: '10s', minRequests: 20 });
    const id = started.json.id as string;
    await send(keys('user', 400));
    await berth.close();
    berth = await start();
    await tick(10_000);
    let now = await rollout(id);
    expect(now.step).toMatchObject({ name: '100%' });
    const replicas = now.events.filter((e) => e.kind === 'step' || e.kind === 'takeover').map((e) => [e.kind, e.replica]);
    expect(replicas.map(([kind]) => kind)).toEqual(['step', 'takeover', 'step']);
    expect(replicas[0]![1]).not.toBe(replicas[2]![1]);
    expect((await send(keys('user', 30))).every((a) => a.version === '4' && a.status === 200)).toBe(true);
    await tick(10_000);
    now = await rollout(id);
    expect(now.state).toBe('succeeded');
    expect((await berth.registry.getModel('m')).aliases.production).toBe(4);
  });
});
