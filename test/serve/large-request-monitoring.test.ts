/**
 * Large requests through a real monitored server (a registry, the prediction log, the payload log
 * of every request with its inputs): a tensor request and a named-feature request of more rows
 * than the monitor holds as arrays, each followed by a small one, are logged whole and in order
 * (read back from the segments after close), and sketched from 1,024 of their rows.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainBundle } from '../../dist/app/train-bundle.js';
import { LARGE_EVENT_ROWS, readLogged, SegmentReaders } from '../../dist/monitor/index.js';
import { monitorStores } from '../../dist/store/index.js';
import { readCsvFile } from '../../dist/train/index.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';
import { eventually, postJson, startRegistryServer } from '../helpers/server.js';
import { DATASETS } from '../helpers/trained.js';

const TENSOR_ROWS = 10_000;
const RECORD_ROWS = 6_000;

let home: string;
let server: Awaited<ReturnType<typeof startRegistryServer>>;
const sent: { model: string; requestId: string }[] = [];
let tensorValues: number[];
let records: Record<string, string | null>[];
let labels: unknown[];
let drift: Record<string, unknown>;

async function infer(rows: number, data: number[]): Promise<string> {
  const { status, headers } = await postJson(`${server.url}/v2/models/id/infer`, { inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, 3], data }] });
  expect(status).toBe(200);
  return headers.get('x-request-id')!;
}

beforeAll(async () => {
  home = tempDir();
  // Every named-feature body goes through the body codec threads, as a large one does.
  server = await startRegistryServer(home, { server: { offThreadBodyBytes: 1 }, monitor: { sampleRate: 0, payloads: { rate: 1, fields: ['inputs', 'outputs'] } } });
  await server.registry.register(writeIdentityModel(tempDir(), 'FP32'), { name: 'id', aliases: ['production'] });
  const { bundle } = await trainBundle({ csv: { file: join(DATASETS, 'loans_reference.csv') }, target: 'defaulted', algorithm: 'linear', seed: 1, outDir: join(tempDir(), 'b'), name: 'loans' });
  await server.registry.register(bundle.dir, { aliases: ['production'] });
  await eventually(async () => (await fetch(`${server.url}/v2/models/loans`)).status === 200 && (await fetch(`${server.url}/v2/models/id`)).status === 200, 30_000);

  expect(TENSOR_ROWS).toBeGreaterThan(LARGE_EVENT_ROWS);
  tensorValues = Array.from({ length: TENSOR_ROWS * 3 }, (_, i) => (i % 1000) / 4);
  sent.push({ model: 'id', requestId: await infer(TENSOR_ROWS, tensorValues) });
  sent.push({ model: 'id', requestId: await infer(1, [1, 2, 3]) });

  const table = await readCsvFile(join(DATASETS, 'loans_current_drifted.csv'));
  const target = table.header.indexOf('defaulted');
  records = Array.from({ length: RECORD_ROWS }, (_, i) => {
    const row = table.rows[i % table.rows.length]!;
    return Object.fromEntries(table.header.flatMap((name, j) => (j === target ? [] : [[name, row[j] === '' ? null : row[j]!]])));
  });
  const large = await postJson(`${server.url}/api/models/loans/predict`, { records });
  expect(large.status).toBe(200);
  labels = (large.json.predictions as { label: unknown }[]).map((p) => p.label);
  sent.push({ model: 'loans', requestId: large.json.requestId as string });
  const small = await postJson(`${server.url}/api/models/loans/predict`, { records: records.slice(0, 2) });
  sent.push({ model: 'loans', requestId: small.json.requestId as string });

  // The window counts every row; wait until the logs have taken them, then close (which writes every segment).
  const report = await eventually(async () => {
    const response = await fetch(`${server.url}/api/models/loans/monitor/drift?from=1h`);
    drift = (await response.json()) as Record<string, unknown>;
    return response.status === 200 && drift.rows === RECORD_ROWS + 2;
  }, 30_000);
  expect(report).toBe(true);
  await server.close();
}, 240_000);

afterAll(async () => {
  await server?.close();
});

async function logged(kind: 'predictions' | 'payloads', model: string) {
  const { openRegistry } = await import('../../dist/registry/index.js');
  const registry = await openRegistry({ home, actor: { interface: 'cli' } });
  try {
    const stores = monitorStores(registry.store, { blobs: registry.blobs, logWriter: false });
    const entries = [];
    for await (const entry of readLogged(stores, new SegmentReaders(stores), kind, model, 0, Date.parse('9999-01-01'))) entries.push(entry);
    return entries;
  } finally {
    await registry.close();
  }
}

describe('a monitored large request', () => {
  it('is sketched from 1,024 of its rows and counted whole', () => {
    expect(drift).toMatchObject({ rows: RECORD_ROWS + 2, rowsSampled: 1024 + 2 });
  });

  it('of tensors has every row of its inputs and outputs in the logs, before the request after it', async () => {
    for (const kind of ['predictions', 'payloads'] as const) {
      const entries = await logged(kind, 'id');
      expect(entries.map((e) => e.requestId)).toEqual(sent.filter((s) => s.model === 'id').map((s) => s.requestId));
      expect(entries.map((e) => e.rows)).toEqual([TENSOR_ROWS, 1]);
      for (let j = 0; j < 3; j++) {
        const column = tensorValues.filter((_, i) => i % 3 === j);
        expect(entries[0]!.outputs[`y[${j}]`]).toEqual(column);
        if (kind === 'payloads') expect(entries[0]!.features![`x[${j}]`]).toEqual(column);
      }
    }
  });

  it('of named features has every row of its features and predictions in the logs, before the request after it', async () => {
    for (const kind of ['predictions', 'payloads'] as const) {
      const entries = await logged(kind, 'loans');
      expect(entries.map((e) => e.requestId)).toEqual(sent.filter((s) => s.model === 'loans').map((s) => s.requestId));
      expect(entries.map((e) => e.rows)).toEqual([RECORD_ROWS, 2]);
      expect(entries[0]!.outputs.label).toEqual(labels);
      if (kind === 'payloads') expect(entries[0]!.features!.region).toEqual(records.map((r) => r.region));
    }
  });
});
