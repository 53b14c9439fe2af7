/**
 * Performance without labels, through the real server: a loans classifier trained by Berth (its
 * reference profile carries the calibration measured on the training rows), traffic from the
 * stable and drifted loans files sent to the named-feature API in separate windows of the report,
 * and every prediction's truth sent back as feedback. Where the model is calibrated, the accuracy
 * estimated from the windows' probabilities alone is within 0.03 of the accuracy the feedback
 * realizes; and the outliers the drift report counts equal a direct count over the CSV.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsvFile } from '../../dist/train/index.js';
import { trainBundle } from '../../dist/app/train-bundle.js';
import { type CsvColumns, directOutlierScores } from '../helpers/outlier-count.js';
import { tempDir } from '../helpers/models.js';
import { eventually, postJson, startRegistryServer } from '../helpers/server.js';
import { DATASETS } from '../helpers/trained.js';

interface Point {
  from: string;
  to: string;
  rows: number;
  accuracy?: number | null;
  rocAuc?: number | null;
  estimated: { rows: number; accuracy: number | null; rocAuc: number | null } | null;
  estimateError: { accuracy: number | null; rocAuc: number | null } | null;
}
interface Performance {
  overall: Point;
  points: Point[];
  estimation: { method: string; calibrationRows: number } | null;
  estimationUnavailable: string | null;
}

const FEATURES = ['age', 'annual_income', 'employment', 'region', 'loan_amount', 'term_months', 'credit_score', 'open_accounts', 'has_mortgage'];
const KINDS = Object.fromEntries(FEATURES.map((f) => [f, f === 'employment' || f === 'region' ? 'categorical' : 'numeric'])) as Record<string, 'numeric' | 'categorical'>;

let server: Awaited<ReturnType<typeof startRegistryServer>>;

async function columnsOf(file: string): Promise<CsvColumns> {
  const table = await readCsvFile(join(DATASETS, file));
  return Object.fromEntries(table.header.map((name, j) => [name, table.rows.map((row) => (row[j] === '' ? null : row[j]!))]));
}

/**
 * Sends rows [first, last) in requests of 250 with their truth (`truth`, default the file's) as
 * feedback; returns the window of the report they fall in.
 */
async function sendWindow(columns: CsvColumns, first: number, last: number, truth = columns.defaulted!): Promise<{ from: string; to: string }> {
  // Windows last a second: start in a fresh one, and end before the next phase starts.
  await new Promise((r) => setTimeout(r, 1100));
  const from = new Date().toISOString();
  for (let i = first; i < last; i += 250) {
    const end = Math.min(i + 250, last);
    const records = Array.from({ length: end - i }, (_, k) => Object.fromEntries(FEATURES.map((f) => [f, columns[f]![i + k]!])));
    const { status, json } = await postJson(`${server.url}/api/models/loans/predict`, { records });
    expect(status).toBe(200);
    const feedback = await postJson(`${server.url}/api/models/loans/feedback`, { requestId: json.requestId as string, actual: truth.slice(i, end) });
    expect(feedback.json.accepted).toBe(1);
  }
  const to = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 1100));
  return { from, to };
}

async function performance(range: { from: string; to: string }): Promise<Performance> {
  const query = new URLSearchParams({ from: range.from, to: range.to, step: '1h' });
  const response = await fetch(`${server.url}/api/models/loans/monitor/performance?${query.toString()}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Performance;
}

beforeAll(async () => {
  server = await startRegistryServer(tempDir(), { monitor: { windowMs: 1000, flushIntervalMs: 200 } });
  const { bundle } = await trainBundle({ csv: { file: join(DATASETS, 'loans_reference.csv') }, target: 'defaulted', algorithm: 'linear', seed: 1, outDir: join(tempDir(), 'b'), name: 'loans' });
  await server.registry.register(bundle.dir, { aliases: ['production'] });
  await eventually(async () => (await fetch(`${server.url}/v2/models/loans`)).status === 200);
}, 180_000);

afterAll(async () => {
  await server?.close();
});

describe('performance estimated without labels, beside realized performance', () => {
  const measured: { name: string; rows: number; realized: number; estimated: number; rocAuc: [number, number] }[] = [];

  it('estimates accuracy within 0.03 of the realized accuracy in each window of traffic like the training data', async () => {
    const stable = await columnsOf('loans_current_stable.csv');
    for (const [first, last] of [
      [0, 2500],
      [2500, 5000],
    ] as const) {
      const report = await performance(await sendWindow(stable, first, last));
      expect(report.estimation).toEqual({ method: 'cbpe', calibrationRows: 20_000 });
      expect(report.estimationUnavailable).toBeNull();
      const { overall } = report;
      expect(overall.rows).toBe(last - first);
      expect(overall.estimated!.rows).toBe(last - first);
      expect(overall.estimateError!.accuracy).toBeCloseTo(overall.estimated!.accuracy! - overall.accuracy!, 12);
      measured.push({ name: `stable ${first}-${last}`, rows: overall.rows, realized: overall.accuracy!, estimated: overall.estimated!.accuracy!, rocAuc: [overall.rocAuc!, overall.estimated!.rocAuc!] });
      expect(Math.abs(overall.estimateError!.accuracy!)).toBeLessThanOrEqual(0.03);
    }
  }, 60_000);

  it('counts the drifted traffic\'s outliers as a direct computation over the CSV does, and reports its estimate', async () => {
    const [reference, drifted] = await Promise.all([columnsOf('loans_reference.csv'), columnsOf('loans_current_drifted.csv')]);
    const range = await sendWindow(drifted, 0, 5000);
    const report = await performance(range);
    const { overall } = report;
    measured.push({ name: 'drifted', rows: overall.rows, realized: overall.accuracy!, estimated: overall.estimated!.accuracy!, rocAuc: [overall.rocAuc!, overall.estimated!.rocAuc!] });
    const query = new URLSearchParams(range);
    const drift = (await (await fetch(`${server.url}/api/models/loans/monitor/drift?${query.toString()}`)).json()) as { rows: number; outliers: { rows: number; outlierRows: number; scoreSum: number; features: Record<string, number> } };
    const expected = directOutlierScores(reference, drifted, KINDS);
    expect(drift.rows).toBe(5000);
    expect(drift.outliers).toMatchObject({
      rows: 5000,
      outlierRows: expected.scores.filter((s) => s > 0).length,
      scoreSum: expected.scores.reduce((a, b) => a + b, 0),
      features: expected.perFeature,
    });
    // Covariate shift (and a new category whose effect the model never learned): still close.
    expect(Math.abs(overall.estimateError!.accuracy!)).toBeLessThanOrEqual(0.03);
  }, 60_000);

  it('does not see concept drift: the same inputs with a changed truth leave the estimate where it was', async () => {
    // Every self-employed applicant now defaults: the inputs are those of the stable file, the relation to the truth is not.
    const stable = await columnsOf('loans_current_stable.csv');
    const truth = stable.defaulted!.map((y, i) => (stable.employment![i] === 'self_employed' ? '1' : y));
    const report = await performance(await sendWindow(stable, 0, 2500, truth));
    const { overall } = report;
    measured.push({ name: 'concept drift', rows: overall.rows, realized: overall.accuracy!, estimated: overall.estimated!.accuracy!, rocAuc: [overall.rocAuc!, overall.estimated!.rocAuc!] });
    const before = measured.find((m) => m.name === 'stable 0-2500')!;
    // The estimate reads only the inputs' probabilities, which did not change; the realized accuracy fell.
    expect(overall.estimated!.accuracy).toBeCloseTo(before.estimated, 12);
    expect(overall.accuracy!).toBeLessThan(before.realized - 0.05);
    expect(overall.estimateError!.accuracy!).toBeGreaterThan(0.05);
    if (process.env.BERTH_TEST_LOG_FIGURES) console.log(JSON.stringify(measured));
  }, 60_000);

  it('berth monitor prints realized beside estimated performance and the outliers', async () => {
    const { monitorCommand } = await import('../../dist/cli/commands/monitor.js');
    const { buildConfig } = await import('../../dist/core/config.js');
    const { renderPerformance } = await import('../../dist/cli/performance-output.js');
    const { renderOutliers } = await import('../../dist/cli/drift-output.js');
    const report = await monitorCommand({ config: buildConfig({}), model: 'loans', since: '1h', url: server.url });
    const { overall } = report.performance;
    expect(overall.rows).toBe(5000 + 5000 + 2500);
    expect(overall.estimated!.rows).toBe(overall.rows);
    const text = renderPerformance(report.performance);
    expect(text).toContain('Performance of loans version 1: 12500 rows with feedback, 12500 rows estimated without labels');
    expect(text).toMatch(new RegExp(`accuracy +${overall.accuracy!.toFixed(4)} +${overall.estimated!.accuracy!.toFixed(4)} +[+-]${Math.abs(overall.estimateError!.accuracy!).toFixed(4)}`));
    expect(renderOutliers(report.outliers)).toMatch(/^Outliers: \d+ of 12500 rows/);
  }, 60_000);
});
