/**
 * The payload log through the real server: a loans model trained by Berth, served from the
 * registry with `monitor.payloads.rate` 1; requests and feedback through HTTP; then the labelled
 * rows retraining reads (payloadLabelledRows) and `berth payloads` CSV exports, checked against
 * what was sent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainBundle } from '../../dist/app/train-bundle.js';
import { payloadsCommand } from '../../dist/cli/commands/payloads.js';
import { buildConfig } from '../../dist/core/config.js';
import { payloadLabelledRows } from '../../dist/monitor/index.js';
import { monitorStores } from '../../dist/store/index.js';
import { readCsvFile } from '../../dist/train/index.js';
import { tempDir } from '../helpers/models.js';
import { eventually, postJson, startRegistryServer } from '../helpers/server.js';
import { DATASETS } from '../helpers/trained.js';

let server: Awaited<ReturnType<typeof startRegistryServer>>;
let home: string;
const sent: { requestId: string; records: Record<string, string | null>[]; actual: string[] }[] = [];
let before: number;
let lake: Server;
const events: { id: string; subject: string; data: { rows: number; inputs: Record<string, unknown[]> } }[] = [];

beforeAll(async () => {
  home = tempDir();
  // The user's own lake: a real HTTP server taking CloudEvents batches.
  lake = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      events.push(...(JSON.parse(body) as typeof events));
      response.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => lake.listen(0, '127.0.0.1', resolve));
  const sink = { url: `http://127.0.0.1:${(lake.address() as { port: number }).port}/lake`, flushMs: 100 };
  server = await startRegistryServer(home, { monitor: { flushIntervalMs: 200, segmentSealMs: 1000, payloads: { rate: 1, sink } } });
  const { bundle } = await trainBundle({ csv: { file: join(DATASETS, 'loans_reference.csv') }, target: 'defaulted', algorithm: 'linear', seed: 1, outDir: join(tempDir(), 'b'), name: 'loans' });
  await server.registry.register(bundle.dir, { aliases: ['production'] });
  await eventually(async () => (await fetch(`${server.url}/v2/models/loans`)).status === 200);
  const table = await readCsvFile(join(DATASETS, 'loans_current_drifted.csv'));
  const target = table.header.indexOf('defaulted');
  before = Date.now();
  for (let i = 0; i < 3; i++) {
    const rows = table.rows.slice(i * 40, (i + 1) * 40);
    const records = rows.map((row) => Object.fromEntries(table.header.flatMap((name, j) => (j === target ? [] : [[name, row[j] === '' ? null : row[j]!]]))));
    const { status, json } = await postJson(`${server.url}/api/models/loans/predict`, { records });
    expect(status).toBe(200);
    sent.push({ requestId: json.requestId as string, records, actual: rows.map((row) => row[target]!) });
  }
  // The truth of the first two requests only.
  const feedback = await postJson(`${server.url}/api/models/loans/feedback`, sent.slice(0, 2).map((s) => ({ requestId: s.requestId, actual: s.actual })));
  expect(feedback.json).toMatchObject({ accepted: 2, unknown: [] });
  // Closing writes every open segment.
  await server.close();
}, 180_000);

afterAll(async () => {
  await server?.close();
  lake?.close();
});

describe('the payload log', () => {
  it('streams every logged request to the configured sink as a CloudEvent', () => {
    expect(events.map((e) => e.id)).toEqual(sent.map((s) => s.requestId));
    expect(events.every((e) => e.subject === 'loans' && e.data.rows === 40)).toBe(true);
    expect(events[0]!.data.inputs.annual_income).toHaveLength(40);
  });

  it('gives retraining the labelled rows: the inputs sent, the prediction and the truth, oldest first', async () => {
    const { openRegistry } = await import('../../dist/registry/index.js');
    const registry = await openRegistry({ home, actor: { interface: 'cli' } });
    try {
      const source = payloadLabelledRows(monitorStores(registry.store, { blobs: registry.blobs, logWriter: false }));
      const range = { from: before - 1000, to: Date.now() + 1000 };
      expect(await source.countLabelled('loans', range)).toBe(80);
      const rows = await source.labelledRows('loans', range, 1000);
      expect(rows).toHaveLength(80);
      const first = sent[0]!;
      expect(rows[0]).toMatchObject({ requestId: first.requestId, row: 0, version: '1', actual: first.actual[0] });
      expect(Object.keys(rows[0]!.features).sort()).toEqual(Object.keys(first.records[0]!).sort());
      expect(rows[41]).toMatchObject({ requestId: sent[1]!.requestId, row: 1, actual: sent[1]!.actual[1] });
      expect(rows[0]!.prediction).toHaveProperty('label');
      // The schema's numbers come back as the numbers sent.
      const income = Number(first.records[3]!.annual_income);
      expect(rows[3]!.features.annual_income).toBe(income);
      expect(await source.labelledRows('loans', range, 5)).toHaveLength(5);
      expect(await source.countLabelled('loans', { from: 0, to: before - 60_000 })).toBe(0);
    } finally {
      await registry.close();
    }
  });

  it('exports what was logged as CSV, every request or only the labelled rows', async () => {
    const config = buildConfig({ store: { home } });
    const all = join(tempDir(), 'all.csv');
    expect(await payloadsCommand({ config, model: 'loans', since: '1h', output: all })).toMatchObject({ rows: 120, labelled: 80 });
    const rows = parse(readFileSync(all, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(120);
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(['request_id', 'row', 'at', 'version', 'annual_income', 'prediction_label', 'actual']));
    expect(rows.map((r) => r.actual)).toEqual([...sent[0]!.actual, ...sent[1]!.actual, ...sent[2]!.actual.map(() => '')]);
    expect(rows[0]!.request_id).toBe(sent[0]!.requestId);
    const labelled = join(tempDir(), 'labelled.csv');
    expect(await payloadsCommand({ config, model: 'loans', labelled: true, output: labelled })).toMatchObject({ rows: 80, labelled: 80 });
    expect(parse(readFileSync(labelled, 'utf8'), { columns: true })).toHaveLength(80);
    await expect(payloadsCommand({ config, model: 'loans', since: 'soon', output: labelled })).rejects.toThrow(expect.objectContaining({ code: 'BERTH_MONITOR_RANGE_INVALID' }));
  });

  it('refuses what it cannot export with catalogue errors, writing nothing', async () => {
    const config = buildConfig({ store: { home } });
    const output = join(tempDir(), 'none.csv');
    const refused = (model: string, file = output) => payloadsCommand({ config, model, output: file });
    await expect(refused('nope')).rejects.toThrow(expect.objectContaining({ code: 'BERTH_REGISTRY_MODEL_NOT_FOUND' }));
    await expect(refused('loans@production')).rejects.toThrow(expect.objectContaining({ code: 'BERTH_REGISTRY_NAME_INVALID' }));
    const missing = join(tempDir(), 'no', 'such', 'folder.csv');
    await expect(refused('loans', missing)).rejects.toThrow(expect.objectContaining({ code: 'BERTH_OUTPUT_FILE_UNWRITABLE', message: expect.stringContaining(`Cannot write ${missing}: its folder does not exist`) }));
    await expect(refused('loans', tempDir())).rejects.toThrow(expect.objectContaining({ code: 'BERTH_OUTPUT_FILE_UNWRITABLE' }));
    expect(existsSync(output)).toBe(false);
  });
});
