/**
 * Outlier scores on the loans data: a profile of loans_reference.csv, the drifted file recorded in
 * windows of several requests and replicas, and the counts the report shows equal a direct count
 * over the CSV against quantiles and categories computed here from the reference file itself.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AlertRuleSchema } from '../../src/core/alert-rule.js';
import {
  buildProfile,
  mergeOutlierCounts,
  monitorSchemaOf,
  MonitorService,
  OutlierCounts,
  outlierReferenceOf,
  outlierSummary,
  type MonitorSchema,
  type PredictionEvent,
} from '../../src/monitor/index.js';
import { FileBlobStore, monitorStores } from '../../src/store/index.js';
import { readCsvFile } from '../../src/train/index.js';
import { STORE_BACKENDS } from '../helpers/store-backends.js';
import { directOutlierScores } from '../helpers/outlier-count.js';
import { memoryReferences, monitorConfig, storeOn } from './monitor-helpers.js';

type Columns = Record<string, (string | null)[]>;

/** The loans features: these two are categories, the rest numbers (has_mortgage a 0/1 flag). */
const kindOf = (name: string): 'numeric' | 'categorical' => (name === 'employment' || name === 'region' ? 'categorical' : 'numeric');
const FEATURES = ['age', 'annual_income', 'employment', 'region', 'loan_amount', 'term_months', 'credit_score', 'open_accounts', 'has_mortgage'];

async function columnsOf(file: string): Promise<Columns> {
  const table = await readCsvFile(new URL(`../fixtures/datasets/${file}.csv`, import.meta.url).pathname);
  return Object.fromEntries(table.header.map((name, j) => [name, table.rows.map((row) => (row[j] === '' ? null : row[j]!))]));
}

describe('outlier scores against the reference profile', () => {
  it('counts, per window and merged, exactly the outliers a direct computation over the CSV finds', async () => {
    const [reference, drifted] = await Promise.all([columnsOf('loans_reference'), columnsOf('loans_current_drifted')]);
    const kinds = Object.fromEntries(FEATURES.map((name) => [name, kindOf(name)])) as Record<string, 'numeric' | 'categorical'>;
    const schema: MonitorSchema = { features: FEATURES.map((name) => ({ name, kind: kinds[name]! })) };
    const profile = buildProfile(reference, schema);
    const outliers = outlierReferenceOf(profile)!;
    expect(outliers.checks.map((c) => c.name)).toEqual(FEATURES);

    const { scores, perFeature } = directOutlierScores(reference, drifted, kinds);
    const expectedRows = scores.filter((s) => s > 0).length;
    const expectedSum = scores.reduce((a, b) => a + b, 0);
    // The drifted file has new employment categories and incomes and scores beyond the reference's tails.
    expect(perFeature.employment).toBeGreaterThan(0);
    expect(expectedRows).toBeGreaterThan(100);

    // Two "replicas", requests of 7 rows alternating between them.
    const counts = [new OutlierCounts(outliers), new OutlierCounts(outliers)];
    const rows = drifted.age!.length;
    for (let start = 0, i = 0; start < rows; start += 7, i++) {
      const slice = Object.fromEntries(FEATURES.map((name) => [name, drifted[name]!.slice(start, start + 7)]));
      counts[i % 2]!.record(slice, Math.min(7, rows - start));
    }
    const merged = outlierSummary(mergeOutlierCounts(counts.map((c) => c.toJSON())));
    expect(merged).toEqual({ rows, outlierRows: expectedRows, scoreSum: expectedSum, features: perFeature, share: expectedRows / rows, meanScore: expectedSum / rows });
  });

  for (const backend of STORE_BACKENDS) {
    it.skipIf(backend.skip !== undefined)(`${backend.name}: reports them in the drift report and history, and an outlier_share rule fires on them`, async () => {
      const [reference, stable, drifted] = await Promise.all([columnsOf('loans_reference'), columnsOf('loans_current_stable'), columnsOf('loans_current_drifted')]);
      const schema: MonitorSchema = { features: FEATURES.map((name) => ({ name, kind: kindOf(name) })) };
      const profile = buildProfile(reference, schema);
      const at = await storeOn(backend);
      const clock = { now: Date.parse('2025-03-01T08:00:00.000Z') };
      const declared = monitorSchemaOf({ profile, schema: undefined, pipeline: undefined });
      expect(declared?.outliers).toBeDefined();
      const monitor = new MonitorService({
        stores: monitorStores(at.store, { logWriter: false, blobs: new FileBlobStore(join(at.location.home, 'blobs')) }),
        config: monitorConfig({ windowMs: 60_000, rules: [{ id: 'odd', model: 'loans', type: 'outlier_share', threshold: 0.02, window: '30m' }] }),
        references: memoryReferences({ 'loans:1': { profile } }, { loans: '1' }),
        schemaFor: () => declared,
        now: () => clock.now,
        timers: false,
      });
      const send = (columns: Columns, prefix: string) => {
        for (let start = 0, i = 0; start < columns.age!.length; start += 10, i++) {
          const event: PredictionEvent = {
            model: 'loans',
            version: '1',
            requestId: `${prefix}-${i}`,
            at: clock.now + Math.floor(i / 25) * 60_000,
            protocol: 'predict',
            rows: Math.min(10, columns.age!.length - start),
            latencyMs: 2,
            outcome: 'success',
            features: Object.fromEntries(FEATURES.map((name) => [name, columns[name]!.slice(start, start + 10)])),
          };
          monitor.record(event);
        }
        clock.now += 20 * 60_000;
      };
      try {
        send(stable, 'stable');
        await monitor.flush();
        const calm = await monitor.reports.drift('loans', { from: '30m' });
        const calmExpected = directOutlierScores(reference, stable, Object.fromEntries(schema.features.map((f) => [f.name, f.kind])));
        expect(calm.outliers.outlierRows).toBe(calmExpected.scores.filter((s) => s > 0).length);
        expect(calm.outliers.rows).toBe(5000);
        expect(await monitor.evaluateAlerts()).toEqual([]);

        clock.now += 3_600_000;
        send(drifted, 'drifted');
        await monitor.flush();
        const report = await monitor.reports.drift('loans', { from: '30m' });
        const expected = directOutlierScores(reference, drifted, Object.fromEntries(schema.features.map((f) => [f.name, f.kind])));
        expect(report.outliers.outlierRows).toBe(expected.scores.filter((s) => s > 0).length);
        expect(report.outliers.features).toEqual(expected.perFeature);
        const transitions = await monitor.evaluateAlerts();
        expect(transitions.map((t) => [t.notification.rule.id, t.notification.state])).toEqual([['odd', 'firing']]);
        expect(transitions[0]!.notification.value).toBeCloseTo(report.outliers.share!, 12);

        const history = await monitor.reports.driftHistory('loans', { from: '2h', step: '30m' });
        const shares = history.points.filter((p) => p.rows > 0).map((p) => p.outlierShare!);
        // The stable traffic may straddle two steps; the drifted traffic is the last step alone.
        expect(shares.at(-1)).toBe(report.outliers.share);
        for (const share of shares.slice(0, -1)) expect(share).toBeLessThan(0.02);
      } finally {
        await monitor.close();
        await at.cleanup();
      }
    });
  }

  it('accepts outlier_share rules as shares only', () => {
    expect(AlertRuleSchema.safeParse({ type: 'outlier_share', threshold: 0.05 }).success).toBe(true);
    expect(AlertRuleSchema.safeParse({ type: 'outlier_share', threshold: 5 }).success).toBe(false);
    // Its sibling for performance estimated without labels takes only the metrics that are estimated.
    expect(AlertRuleSchema.safeParse({ type: 'estimated_performance_drop', metric: 'rocAuc', threshold: 0.05 }).success).toBe(true);
    expect(AlertRuleSchema.safeParse({ type: 'estimated_performance_drop', metric: 'f1', threshold: 0.05 }).success).toBe(false);
  });
});
