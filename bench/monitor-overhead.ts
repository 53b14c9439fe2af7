/**
 * What recording costs the main thread, in process: ns per row of `MonitorService.record()` for
 * the loans data's 9 features and a classifier's 3 outputs, one-row requests and 32-row requests,
 * with windows only and as by default (windows, the prediction log and 1% samples), against a
 * baseline loop that builds the same events and hands them to a no-op; and windows only for a
 * version whose profile gives outlier checks and a calibration (each row's outlier score and
 * probability histograms recorded too). Request ids are UUIDv7s
 * of the request's time, as the server makes them.
 *
 * What monitoring costs a whole server under load is measured by `npm run bench -- --only monitor`
 * (bench/run-monitor-scenario.ts); this isolates the recording itself.
 *
 * Run: npx tsx bench/monitor-overhead.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 } from 'uuid';
import { MonitorConfigSchema } from '../src/core/monitor-config.js';
import { buildProfile, type MonitorSchema, MonitorService, OutlierCounts, outlierReferenceOf, type PredictionEvent, ScoreHistograms } from '../src/monitor/index.js';
import { FileBlobStore, monitorStores, openMetadataStore } from '../src/store/index.js';
import { readCsvFile } from '../src/train/index.js';

const FEATURES = ['age', 'annual_income', 'employment', 'region', 'loan_amount', 'term_months', 'credit_score', 'open_accounts', 'has_mortgage'] as const;
const CATEGORICAL = new Set(['employment', 'region']);
type Row = Record<string, number | string | null>;

async function loansRows(limit: number, file = 'loans_current_stable'): Promise<Row[]> {
  const table = await readCsvFile(new URL(`../test/fixtures/datasets/${file}.csv`, import.meta.url).pathname);
  return table.rows.slice(0, limit).map((row) =>
    Object.fromEntries(FEATURES.map((name) => {
      const raw = row[table.header.indexOf(name)]!;
      return [name, raw === '' ? null : CATEGORICAL.has(name) ? raw : Number(raw)];
    })),
  );
}

/** The stand-in model: a logistic score of a few features. */
function predict(row: Row): { label: string; probabilities: { '0': number; '1': number } } {
  const z = -1 + 0.00001 * Number(row.loan_amount ?? 0) - 0.004 * (Number(row.credit_score ?? 690) - 690) - 0.000005 * Number(row.annual_income ?? 60000);
  const p = 1 / (1 + Math.exp(-z));
  return { label: p >= 0.5 ? '1' : '0', probabilities: { '0': 1 - p, '1': p } };
}

/** The event the data plane would build for rows and their predictions. */
function eventOf(rows: readonly Row[], predictions: ReturnType<typeof predict>[], requestId: string, at: number, latencyMs: number): PredictionEvent {
  const features: Record<string, unknown[]> = {};
  for (const name of FEATURES) features[name] = rows.map((r) => r[name]);
  return {
    model: 'loans',
    version: '1',
    requestId,
    at,
    protocol: 'predict',
    rows: rows.length,
    latencyMs,
    outcome: 'success',
    features,
    outputs: {
      label: predictions.map((p) => p.label),
      probability_0: predictions.map((p) => p.probabilities['0']),
      probability_1: predictions.map((p) => p.probabilities['1']),
    },
  };
}

const SCHEMA = {
  features: FEATURES.map((name) => ({ name, kind: CATEGORICAL.has(name) ? ('categorical' as const) : ('numeric' as const) })),
  outputs: [{ name: 'label', kind: 'categorical' as const }, { name: 'probability_0', kind: 'numeric' as const }, { name: 'probability_1', kind: 'numeric' as const }],
};

/** Windows only, and as by default: windows, the prediction log, 1% samples. */
const WINDOWS_ONLY = { predictionLog: false, sampleRate: 0 };
const DEFAULTS = { sampleRate: 0.01 };

/** SCHEMA with the outlier checks of the loans reference's profile and the classes of a calibrated classifier. */
async function referencedSchema(): Promise<MonitorSchema> {
  const reference = await loansRows(20_000, 'loans_reference');
  const columns = Object.fromEntries(FEATURES.map((name) => [name, reference.map((r) => r[name])]));
  return { ...SCHEMA, outliers: outlierReferenceOf(buildProfile(columns, { features: SCHEMA.features }))!, classes: ['0', '1'] };
}

/** Runs `work` with a monitor of `config`, its timers off. */
async function withMonitor<T>(config: Record<string, unknown>, work: (monitor: MonitorService) => Promise<T>, schema: MonitorSchema = SCHEMA): Promise<T> {
  const home = mkdtempSync(join(tmpdir(), 'berth-bench-monitor-'));
  const store = await openMetadataStore({ home });
  const monitor = new MonitorService({
    stores: monitorStores(store, { logWriter: false, blobs: new FileBlobStore(join(home, 'blobs')) }),
    config: MonitorConfigSchema.parse(config),
    references: { version: async () => undefined, defaultVersion: async () => undefined },
    schemaFor: () => schema,
    timers: false,
  });
  try {
    return await work(monitor);
  } finally {
    await monitor.close();
    await store.close();
    rmSync(home, { recursive: true, force: true });
  }
}

/** ns per row of a loop over `events` and then `settle` (when given), best of `repeats`. */
async function nsPerRow(events: readonly PredictionEvent[], sink: (event: PredictionEvent) => void, settle?: () => Promise<void>, repeats = 5): Promise<number> {
  const rows = events.reduce((n, e) => n + e.rows, 0);
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const started = process.hrtime.bigint();
    for (const e of events) sink(e);
    await settle?.();
    best = Math.min(best, Number(process.hrtime.bigint() - started) / rows);
  }
  return best;
}

async function inProcess(): Promise<void> {
  const rows = await loansRows(5000);
  const at = Date.now();
  const build = (size: number) => {
    const events: PredictionEvent[] = [];
    for (let i = 0; i + size <= rows.length; i += size) {
      const slice = rows.slice(i, i + size);
      events.push(eventOf(slice, slice.map(predict), v7({ msecs: at }), at, 1));
    }
    return events;
  };
  let sunk = 0;
  const noop = (e: PredictionEvent) => void (sunk += e.rows);
  const referenced = await referencedSchema();
  console.log('record() per row, 9 features + 3 outputs (best of 5 passes over 5,000 rows):');
  for (const size of [1, 32]) {
    const events = build(size);
    const baseline = await nsPerRow(events, noop);
    // Warm the monitor up on a first pass (sketches compacting, JIT), then measure: recording
    // alone, then recording and writing the prediction log and samples (the server writes them on
    // its SQLite writer thread; here they are written on this one).
    const windows = await withMonitor(WINDOWS_ONLY, async (monitor) => {
      for (const e of events) monitor.record(e);
      return nsPerRow(events, (e) => monitor.record(e));
    });
    const scored = await withMonitor(
      WINDOWS_ONLY,
      async (monitor) => {
        for (const e of events) monitor.record(e);
        return nsPerRow(events, (e) => monitor.record(e));
      },
      referenced,
    );
    const [recorded, written] = await withMonitor(DEFAULTS, async (monitor) => {
      for (const e of events) monitor.record(e);
      await monitor.flush();
      const alone = await nsPerRow(events, (e) => monitor.record(e));
      await monitor.flush();
      return [alone, await nsPerRow(events, (e) => monitor.record(e), () => monitor.flush())];
    });
    console.log(
      `  ${String(size).padStart(2)}-row requests: windows only ${windows.toFixed(0)} ns/row (${scored.toFixed(0)} with outlier scores and probability histograms); defaults ${recorded.toFixed(0)} ns/row recorded, ${written.toFixed(0)} ns/row recorded and written (baseline loop ${baseline.toFixed(0)} ns/row)`,
    );
  }
  if (sunk < 0) console.log(sunk);
}

/**
 * The two parts a reference adds to recording, alone and at their steadiest (best of 200 passes):
 * the outlier score of one-row requests of the drifted loans file against the reference's checks,
 * and the probability histograms of a binary classifier's outputs.
 */
async function referenceParts(): Promise<void> {
  const schema = await referencedSchema();
  const rows = await loansRows(5000, 'loans_current_drifted');
  const events = rows.map((row, i) => ({ features: Object.fromEntries(FEATURES.map((f) => [f, [row[f]]])), outputs: { label: [i % 3 ? '0' : '1'], probability_0: [(i % 97) / 97], probability_1: [1 - (i % 97) / 97] } }));
  let outliers = Infinity;
  let histograms = Infinity;
  for (let r = 0; r < 200; r++) {
    const counts = new OutlierCounts(schema.outliers!);
    let started = process.hrtime.bigint();
    for (const e of events) counts.record(e.features, 1);
    outliers = Math.min(outliers, Number(process.hrtime.bigint() - started) / events.length);
    const scores = new ScoreHistograms(['0', '1']);
    started = process.hrtime.bigint();
    for (const e of events) scores.record(e.outputs, 1);
    histograms = Math.min(histograms, Number(process.hrtime.bigint() - started) / events.length);
  }
  console.log(`reference parts alone, one-row requests (best of 200 passes over 5,000): outlier score ${outliers.toFixed(0)} ns (9 features), probability histograms ${histograms.toFixed(0)} ns (2 classes)`);
}

await inProcess();
await referenceParts();
