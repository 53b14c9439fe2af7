/**
 * Many models per replica: a registry server with a memory budget (`runtime.modelMemory`) that
 * holds fewer versions than it serves. Versions load on their first request, the least recently
 * used are unloaded to make room and load again when asked for (counted in /metrics), pinned
 * aliases stay loaded, and alias moves are followed as without a budget.
 */
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFolderIndexText, openRegistry, packageModel, type Registry } from '../../dist/registry/index.js';
import { OPEN_WINDOW_RESERVE_BYTES } from '../../dist/monitor/index.js';
import { estimateVersionBytes } from '../../dist/runtime/memory-budget.js';
import { startBerthServe } from '../helpers/cli.js';
import { tempDir, writeIdentityModel, writeShiftModel } from '../helpers/models.js';
import { eventually, postJson, startRegistryServer } from '../helpers/server.js';

const home = tempDir();
const dir = tempDir();
const MODELS = 6;
const THREADS = 2;
let admin: Registry;
let server: Awaited<ReturnType<typeof startRegistryServer>>;
let limitBytes: number;

interface Served {
  model: string;
  version: string;
  state: string;
  aliases: string[];
}

async function served(): Promise<Served[]> {
  const body = (await (await fetch(`${server.url}/api/server`)).json()) as { served: Served[] };
  return body.served;
}

async function metric(name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}${labels ? `{${labels}` : ''}`) && (labels || line.startsWith(`${name} `) || line.startsWith(`${name}{`))) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

async function infer(model: string, values: number[]) {
  return postJson(`${server.url}/v2/models/${model}/infer`, { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: values }] });
}

beforeAll(async () => {
  admin = await openRegistry({ home, actor: { interface: 'cli' } });
  const path = writeIdentityModel(dir, 'FP32');
  for (let i = 0; i < MODELS; i++) await admin.register(path, { name: `m${i}`, ...(i === 0 ? { aliases: ['production'] } : {}) });
  // Room for the pinned version and two more loaded, plus one load's peak (its probe and a
  // session per worker thread), but not for all six; each with the reserve for its open windows.
  const { size } = (await admin.getVersion('m0', 1)).files.find((f) => f.path.endsWith('.onnx'))!;
  const loaded = estimateVersionBytes(size, 1) + OPEN_WINDOW_RESERVE_BYTES;
  limitBytes = 3 * loaded + estimateVersionBytes(size, THREADS + 1) + OPEN_WINDOW_RESERVE_BYTES;
  // Windows long enough, and never written while open, that only an unload writes them during the test.
  server = await startRegistryServer(home, {
    runtime: { threads: THREADS, modelMemory: limitBytes, pinnedAliases: ['production'] },
    monitor: { windowMs: 86_400_000, openWindowFlushMs: 86_400_000, flushIntervalMs: 100 },
  });
});
afterAll(async () => {
  await server?.close();
  await admin?.close();
});

describe('a memory budget for loaded versions', () => {
  it('loads only the pinned alias at start; the others are served unloaded', async () => {
    const states = Object.fromEntries((await served()).map((s) => [s.model, s.state]));
    expect(states).toEqual({ m0: 'ready', m1: 'unloaded', m2: 'unloaded', m3: 'unloaded', m4: 'unloaded', m5: 'unloaded' });
    expect(await metric('berth_model_memory_budget_bytes')).toBe(limitBytes);
    expect(await metric('berth_model_versions_loaded')).toBe(1);
    // An unloaded version's metadata and readiness come from its bundle, without loading it.
    const meta = (await (await fetch(`${server.url}/v2/models/m3`)).json()) as { inputs: { name: string; shape: number[] }[] };
    expect(meta.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, 3] }]);
    expect((await fetch(`${server.url}/v2/models/m3/ready`)).status).toBe(200);
    expect((await served()).find((s) => s.model === 'm3')!.state).toBe('unloaded');
  });

  it('answers every model, unloading the least recently used to stay within the budget', async () => {
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < MODELS; i++) {
        const reply = await infer(`m${i}`, [i, round, 1]);
        expect(reply.status, reply.text).toBe(200);
        expect(reply.json.outputs).toMatchObject([{ name: 'y', data: [i, round, 1] }]);
        expect(await metric('berth_model_memory_bytes')).toBeLessThanOrEqual(limitBytes);
      }
    }
    // Round-robin over six with room for three: every request to m1..m5 was a cold load.
    expect(await metric('berth_model_cold_loads_total', 'model="m1",outcome="success"')).toBe(3);
    expect(await metric('berth_model_cold_loads_total')).toBe(15);
    expect(await metric('berth_model_cold_load_seconds_count')).toBe(15);
    // Each of those requests waited for its load and was served (one request per load here).
    expect(await metric('berth_model_cold_load_waits_total', 'model="m1",outcome="served"')).toBe(3);
    expect(await metric('berth_model_cold_load_waits_total')).toBe(15);
    expect(await metric('berth_model_unloads_total')).toBeGreaterThanOrEqual(12);
    // The pinned version was never unloaded nor loaded again.
    expect(await metric('berth_model_unloads_total', 'model="m0"')).toBe(0);
    expect(await metric('berth_model_cold_loads_total', 'model="m0"')).toBe(0);
    const states = await served();
    expect(states.find((s) => s.model === 'm0')!.state).toBe('ready');
    expect(states.filter((s) => s.state === 'ready').length).toBeLessThanOrEqual(4);
  });

  it('counts each loaded version\'s open windows in the budget, and writes and frees them when it unloads', async () => {
    // After the round-robin above m1 is unloaded: its three requests are in the store, not in memory.
    const stored = async (model: string) =>
      (await server.registry.store.db.selectFrom('monitor_windows').select('requests').where('model', '=', model).execute()).reduce((sum, row) => sum + Number(row.requests), 0);
    const states = Object.fromEntries((await served()).map((s) => [s.model, s.state]));
    expect(states.m1).toBe('unloaded');
    expect(await eventually(async () => (await stored('m1')) === 3)).toBe(true);
    // The pinned m0 was never unloaded and its window never closed: nothing of it is written yet.
    expect(await stored('m0')).toBe(0);
    const { size } = (await admin.getVersion('m0', 1)).files.find((f) => f.path.endsWith('.onnx'))!;
    const loaded = await metric('berth_model_versions_loaded');
    expect(await metric('berth_model_memory_bytes')).toBeGreaterThanOrEqual(loaded * (estimateVersionBytes(size, 1) + OPEN_WINDOW_RESERVE_BYTES));
  });

  it("drops an unloaded version's batcher series from /metrics and keeps its request counts", async () => {
    const states = await served();
    const unloaded = states.filter((s) => s.state === 'unloaded').map((s) => s.model);
    expect(unloaded).toContain('m1');
    const text = await (await fetch(`${server.url}/metrics`)).text();
    // The pinned m0 is loaded and has run batches: its series are there.
    expect(text).toContain('berth_batch_rows_count{model="m0",version="1"}');
    expect(text).toContain('berth_queue_wait_seconds_count{model="m0",version="1"}');
    for (const model of unloaded) {
      expect(text).not.toMatch(new RegExp(`^berth_(batch_rows|batch_requests|queue_wait_seconds|queue_depth)\\S*\\{model="${model}"`, 'm'));
      // Three requests each in the round-robin above, counted whether or not the version is loaded now.
      expect(await metric('berth_requests_total', `model="${model}",version="1",protocol="v2-rest",outcome="success"`)).toBeGreaterThanOrEqual(3);
      expect(await metric('berth_request_duration_seconds_count', `model="${model}"`)).toBeGreaterThanOrEqual(3);
    }
  });

  it('keeps hot versions loaded: repeated requests to the same few are not cold loads', async () => {
    const before = await metric('berth_model_cold_loads_total');
    for (let i = 0; i < 20; i++) expect((await infer(`m${1 + (i % 2)}`, [1, 2, 3])).status).toBe(200);
    expect((await metric('berth_model_cold_loads_total')) - before).toBeLessThanOrEqual(2);
  });

  it('answers concurrent requests to unloaded versions, all of them, within the budget', async () => {
    const replies = await Promise.all(Array.from({ length: 24 }, (_, i) => infer(`m${i % MODELS}`, [i, 0, 0])));
    for (const [i, reply] of replies.entries()) {
      expect(reply.status, reply.text).toBe(200);
      expect(reply.json.outputs).toMatchObject([{ data: [i, 0, 0] }]);
    }
    expect(await metric('berth_model_memory_bytes')).toBeLessThanOrEqual(limitBytes);
  });

  it('follows alias moves: a version a pinned alias moves to is loaded and stays, the one it left may be unloaded', async () => {
    await admin.setAlias('m3', 'production', 1);
    expect(await eventually(async () => (await served()).some((s) => s.model === 'm3' && s.aliases.includes('production') && s.state === 'ready'))).toBe(true);
    const m3Unloads = await metric('berth_model_unloads_total', 'model="m3"');
    await admin.removeAlias('m0', 'production');
    expect(await eventually(async () => !(await served()).some((s) => s.model === 'm0' && s.aliases.includes('production')))).toBe(true);
    // m0 is no longer pinned: enough traffic elsewhere unloads it; m3 stays.
    for (let round = 0; round < 2; round++) for (const i of [1, 2, 4, 5]) expect((await infer(`m${i}`, [1, 1, 1])).status).toBe(200);
    const states = Object.fromEntries((await served()).map((s) => [s.model, s.state]));
    expect(states.m3).toBe('ready');
    expect(states.m0).toBe('unloaded');
    expect(await metric('berth_model_unloads_total', 'model="m3"')).toBe(m3Unloads);
    expect((await infer('m0', [5, 5, 5])).json.outputs).toMatchObject([{ data: [5, 5, 5] }]);
  });
});

describe('a model folder under a memory budget, through berth serve --model-memory and --pin', () => {
  it('serves the pinned alias loaded and the other versions on demand, within the budget', async () => {
    const folder = tempDir('berth-folder-budget-');
    const versions = [
      { model: 'a', version: 1, aliases: ['production'], shift: 0 },
      { model: 'b', version: 1, aliases: [], shift: 10 },
      { model: 'c', version: 2, aliases: ['staging'], shift: 20 },
    ];
    let modelBytes = 0;
    const index = [];
    for (const v of versions) {
      const onnx = writeShiftModel(dir, v.shift);
      modelBytes = statSync(onnx).size;
      const bundle = await packageModel(onnx, { name: v.model, outDir: join(folder, v.model, String(v.version)) });
      index.push({ model: v.model, version: v.version, digest: bundle.digest, aliases: v.aliases });
    }
    writeFileSync(join(folder, 'berth-models.json'), modelFolderIndexText(index));
    // With one inference thread: room for the pinned version, one more and a load's peak, less a
    // byte, so that b and c cannot both stay loaded; each with the reserve for its open windows.
    const budget = 2 * estimateVersionBytes(modelBytes, 1) + estimateVersionBytes(modelBytes, 2) + 3 * OPEN_WINDOW_RESERVE_BYTES - 1;
    const server = await startBerthServe([folder, '--port', '0', '--threads', '1', '--model-memory', String(budget), '--pin', 'production'], { BERTH_HOME: join(folder, 'home') });
    try {
      const states = async () => Object.fromEntries(((await (await fetch(`${server.url}/api/server`)).json()) as { served: Served[] }).served.map((s) => [s.model, s.state]));
      expect(await states()).toEqual({ a: 'ready', b: 'unloaded', c: 'unloaded' });
      for (let round = 0; round < 2; round++) {
        for (const [model, shift] of [['a', 0], ['b', 10], ['c', 20]] as const) {
          const reply = await postJson(`${server.url}/v2/models/${model}/infer`, { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] });
          expect(reply.status, reply.text).toBe(200);
          expect(reply.json.outputs).toMatchObject([{ data: [1 + shift, 2 + shift, 3 + shift] }]);
        }
      }
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const value = (line: string) => Number(text.split('\n').find((l) => l.startsWith(line))?.split(' ').at(-1));
      // b and c take turns in the room the pinned a leaves: each load of one unloads the other.
      expect(value('berth_model_cold_loads_total{model="b",outcome="success"}')).toBe(2);
      expect(value('berth_model_cold_loads_total{model="c",outcome="success"}')).toBe(2);
      expect(text).not.toMatch(/berth_model_cold_loads_total\{model="a"/);
      expect(value('berth_model_memory_bytes')).toBeLessThanOrEqual(budget);
      expect((await states()).a).toBe('ready');
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
  });
});
