/**
 * Many models per replica: a registry server with a memory budget (`runtime.modelMemory`) that
 * holds fewer versions than it serves. Versions load on their first request, the least recently
 * used are unloaded to make room and load again when asked for (counted in /metrics), pinned
 * aliases stay loaded, and alias moves are followed as without a budget.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry, type Registry } from '../../dist/registry/index.js';
import { estimateVersionBytes } from '../../dist/runtime/memory-budget.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';
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
  // session per worker thread), but not for all six.
  const { size } = (await admin.getVersion('m0', 1)).files.find((f) => f.path.endsWith('.onnx'))!;
  const loaded = estimateVersionBytes(size, 1);
  limitBytes = 3 * loaded + estimateVersionBytes(size, THREADS + 1);
  server = await startRegistryServer(home, { runtime: { threads: THREADS, modelMemory: limitBytes, pinnedAliases: ['production'] } });
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
    expect(await metric('berth_model_unloads_total')).toBeGreaterThanOrEqual(12);
    // The pinned version was never unloaded nor loaded again.
    expect(await metric('berth_model_unloads_total', 'model="m0"')).toBe(0);
    expect(await metric('berth_model_cold_loads_total', 'model="m0"')).toBe(0);
    const states = await served();
    expect(states.find((s) => s.model === 'm0')!.state).toBe('ready');
    expect(states.filter((s) => s.state === 'ready').length).toBeLessThanOrEqual(4);
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
