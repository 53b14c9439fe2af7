/**
 * The in-process library (`import { loadModel } from 'berth'`): a bundle folder, a .berth archive
 * and a registry version answer exactly what `POST /api/models/{ref}/predict` answers; a plain
 * ONNX model runs tensors; bad input gets the server's catalogue errors; and with monitoring on,
 * an embedded model's predictions land in the windows the server's drift report reads.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainBundle } from '../../dist/app/train-bundle.js';
import { type LoadedModel, loadModel } from '../../dist/index.js';
import { exportBundle, openRegistry } from '../../dist/registry/index.js';
import type { RunningServer } from '../../dist/serve/server.js';
import { fixtureCases, firstMismatch } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/models.js';
import { postJson, startRegistryServer } from '../helpers/server.js';
import { DATASETS } from '../helpers/trained.js';

/** Rows of a loans file without the target, as the records API takes them (CSV strings: the schema parses them). */
function loansRows(file: string, count: number): Record<string, string>[] {
  const rows = parse(readFileSync(join(DATASETS, file), 'utf8'), { columns: true }) as Record<string, string>[];
  return rows.slice(0, count).map(({ defaulted: _target, ...features }) => features);
}

const STABLE = loansRows('loans_current_stable.csv', 200);

let home: string;
let bundleDir: string;
let archive: string;
let server: RunningServer;

beforeAll(async () => {
  const dir = tempDir('berth-library-');
  home = join(dir, 'home');
  bundleDir = join(dir, 'loans.bundle');
  await trainBundle({ csv: { file: join(DATASETS, 'loans_reference.csv') }, target: 'defaulted', algorithm: 'linear', seed: 7, name: 'loans', outDir: bundleDir });
  archive = join(dir, 'loans.berth');
  await exportBundle(bundleDir, archive);
  const registry = await openRegistry({ home, actor: { interface: 'test' } });
  await registry.register(bundleDir, { aliases: ['production'] });
  await registry.close();
  server = await startRegistryServer(home);
}, 180_000);

afterAll(async () => {
  await server?.close();
});

async function serverPredictions(rows: readonly unknown[]) {
  const { status, json } = await postJson(`${server.url}/api/models/loans@production/predict`, { records: rows });
  expect(status, JSON.stringify(json)).toBe(200);
  return json as { model: string; version: number; predictions: unknown[]; warnings?: string[] };
}

describe('loadModel', () => {
  it.each([
    ['a bundle folder', () => bundleDir],
    ['a .berth archive', () => archive],
    ['a registry version', () => ({ registry: home, ref: 'loans@production' })],
  ] as const)('predicts from %s exactly what the server answers', async (_what, source) => {
    const model = await loadModel(source());
    try {
      expect(model.name).toBe('loans');
      expect(model.version).toBe(1);
      expect(model.schema?.features.map((f) => f.name)).toContain('credit_score');
      expect(model.signature.inputs[0]?.name).toBe('features');
      const expected = await serverPredictions(STABLE);
      const actual = await model.predict(STABLE);
      expect(actual.predictions).toHaveLength(STABLE.length);
      expect(actual.predictions).toEqual(expected.predictions);
      // One row at a time, too (the path an app takes per request).
      expect((await model.predict([STABLE[3]!])).predictions[0]).toEqual(expected.predictions[3]);
    } finally {
      await model.close();
    }
  });

  it('reports unknown fields as the server does, and refuses bad rows with the server’s error', async () => {
    const model = await loadModel(bundleDir);
    try {
      // A field the schema does not know, and a value beyond what training saw: the server's words for both.
      const rows = [{ ...STABLE[0], note: 'x' }, { ...STABLE[1], age: '120' }];
      const warnings = (await model.predict(rows)).warnings;
      expect(warnings).toHaveLength(2);
      expect(warnings).toEqual((await serverPredictions(rows)).warnings);
      const bad = [{ ...STABLE[0], credit_score: 'high' }];
      const { json } = await postJson(`${server.url}/api/models/loans@production/predict`, { records: bad });
      await expect(model.predict(bad)).rejects.toMatchObject({ code: json.code, httpStatus: 400, details: { row: 0, feature: 'credit_score' } });
      await expect(model.predict([])).rejects.toMatchObject({ code: 'BERTH_REQUEST_INVALID' });
      await expect(model.infer([{ name: 'nope', datatype: 'FP32', shape: [1], data: [1] }])).rejects.toMatchObject({ code: 'BERTH_INPUT_UNKNOWN' });
      await expect(model.infer([{ name: 'features', datatype: 'FP64', shape: [1, 17], data: new Array(17).fill(0) }])).rejects.toMatchObject({ code: 'BERTH_INPUT_DATATYPE' });
    } finally {
      await model.close();
    }
    await expect(model.predict([STABLE[0]])).rejects.toMatchObject({ code: 'BERTH_MODEL_NOT_READY' });
    await model.close(); // idempotent
  });

  it('runs plain ONNX models on tensors, typed arrays or JSON values', async () => {
    const c = fixtureCases().find((f) => f.name === 'test_operator_add_broadcast')!;
    const model = await loadModel(c.model);
    try {
      expect(model.schema).toBeUndefined();
      const inputs = Object.entries(c.inputs).map(([name, t]) => ({ name, ...t }));
      const outputs = await model.infer(inputs);
      for (const [name, expected] of Object.entries(c.outputs)) {
        const actual = outputs.find((o) => o.name === name)!;
        expect(actual.shape).toEqual(expected.shape);
        expect(firstMismatch(Array.from(actual.data as Float64Array), expected.data)).toBeUndefined();
      }
      const typed = inputs.map((t) => ({ ...t, data: Float64Array.from(t.data as number[]) })); // the case's datatype is FP64
      expect((await model.infer(typed))[0]!.data).toEqual(outputs[0]!.data);
      await expect(model.predict([{}])).rejects.toMatchObject({ code: 'BERTH_MODEL_NO_SCHEMA' });
    } finally {
      await model.close();
    }
  });

  it('refuses what is not a model with a catalogue error', async () => {
    await expect(loadModel(join(home, 'missing.berth'))).rejects.toMatchObject({ code: 'BERTH_BUNDLE_NOT_FOUND' });
    await expect(loadModel({ registry: home, ref: 'loans@staging' })).rejects.toMatchObject({ code: 'BERTH_REGISTRY_ALIAS_NOT_FOUND' });
    await expect(loadModel(bundleDir, { monitor: true })).rejects.toMatchObject({ code: 'BERTH_REQUEST_INVALID' });
  });

  it('records a bundle into the database it is given, and its reports read the windows of earlier runs', async () => {
    const monitorHome = tempDir('berth-library-monitor-');
    // Recording happens once the answer is on its way (after this turn of the event loop), as in a server.
    const recorded = () => new Promise((resolve) => setImmediate(resolve));
    const first = await loadModel(bundleDir, { monitor: { home: monitorHome } });
    try {
      await first.predict(STABLE.slice(0, 120));
      await recorded();
      expect((await first.monitor!.reports.drift('loans', { from: '1h' })).rows).toBe(120);
    } finally {
      await first.close();
    }
    expect(existsSync(join(monitorHome, 'berth.db'))).toBe(true);
    const second = await loadModel(bundleDir, { monitor: { home: monitorHome } });
    try {
      await second.predict(STABLE.slice(0, 30));
      await recorded();
      expect((await second.monitor!.reports.drift('loans', { from: '1h' })).rows).toBe(150);
    } finally {
      await second.close();
    }
  });

  it("writes the server's monitoring windows, so the dashboard's drift report counts an embedded model's rows", async () => {
    const driftRows = async () => {
      const response = await fetch(`${server.url}/api/models/loans/monitor/drift?from=1h`);
      const text = await response.text();
      expect(response.status, text).toBe(200);
      return (JSON.parse(text) as { rows: number }).rows;
    };
    const before = await driftRows();
    const model: LoadedModel = await loadModel({ registry: home, ref: 'loans@production' }, { monitor: true });
    const drifted = loansRows('loans_current_drifted.csv', 300);
    try {
      expect(model.monitor).toBeDefined();
      for (let i = 0; i < drifted.length; i += 50) await model.predict(drifted.slice(i, i + 50));
    } finally {
      await model.close(); // flushes the open windows
    }
    expect(await driftRows()).toBe(before + drifted.length);
  });
});
