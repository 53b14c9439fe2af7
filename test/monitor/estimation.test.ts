/**
 * Confidence-based performance estimation on known distributions: a calibration fitted on
 * perfectly calibrated synthetic scores is close to the identity and monotone; histograms merge
 * exactly; and for rows whose truth is drawn from their calibrated probability, the estimated
 * accuracy and ROC AUC agree with the expected values computed row by row.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildProfile,
  calibrate,
  estimatePerformance,
  fitCalibration,
  mergeScoreHistograms,
  monitorSchemaOf,
  MonitorService,
  ScoreHistograms,
} from '../../src/monitor/index.js';
import { FileBlobStore, monitorStores } from '../../src/store/index.js';
import { STORE_BACKENDS } from '../helpers/store-backends.js';
import { memoryReferences, monitorConfig, storeOn } from './monitor-helpers.js';

/** A seeded generator (mulberry32), so the data are the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Binary rows: the model's probability of '1' is p, and '1' is the truth with probability `truthOf(p)`. */
function rows(n: number, seed: number, truthOf: (p: number) => number = (p) => p) {
  const next = random(seed);
  const p1: number[] = [];
  const truth: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = next() ** 1.5;
    p1.push(p);
    truth.push(next() < truthOf(p) ? '1' : '0');
  }
  return { p1, p0: p1.map((p) => 1 - p), truth, label: p1.map((p) => (p >= 0.5 ? '1' : '0')) };
}

describe('calibration', () => {
  it('is monotone and close to the identity for calibrated scores, and corrects a miscalibrated model', () => {
    const { p0, p1, truth } = rows(50_000, 1);
    const calibration = fitCalibration('y', truth, { '0': p0, '1': p1 }, ['0', '1']);
    expect(calibration).toMatchObject({ target: 'y', rows: 50_000, labels: ['0', '1'] });
    const map = calibration.classes[1]!;
    for (let i = 1; i < map.x.length; i++) {
      expect(map.x[i]!).toBeGreaterThanOrEqual(map.x[i - 1]!);
      expect(map.y[i]!).toBeGreaterThanOrEqual(map.y[i - 1]!);
    }
    for (const p of [0.1, 0.3, 0.5, 0.7, 0.9]) expect(Math.abs(calibrate(map, p) - p)).toBeLessThan(0.05);

    // An overconfident model: the truth is '1' with probability (p + 0.5) / 2.
    const skewed = rows(50_000, 2, (p) => (p + 0.5) / 2);
    const fixed = fitCalibration('y', skewed.truth, { '0': skewed.p0, '1': skewed.p1 }, ['0', '1']).classes[1]!;
    for (const p of [0.1, 0.5, 0.9]) expect(Math.abs(calibrate(fixed, p) - (p + 0.5) / 2)).toBeLessThan(0.05);
  });

  it('refuses a single class, a missing probability column, and data with no usable row', () => {
    expect(() => fitCalibration('y', ['1', '1'], { '0': [0.2, 0.3], '1': [0.8, 0.7] }, ['0', '1'])).toThrow(/single class/);
    expect(() => fitCalibration('y', ['1', '0'], { '1': [0.8, 0.7] }, ['0', '1'])).toThrow(/class '0' has no probability column/);
    expect(() => fitCalibration('y', ['', null], { '0': [0.2, 0.3], '1': [0.8, 0.7] }, ['0', '1'])).toThrow(/no row/);
  });
});

describe('estimated performance', () => {
  it('matches the expected accuracy and ROC AUC of calibrated rows, from histograms merged across replicas', () => {
    const reference = rows(50_000, 3);
    const calibration = fitCalibration('y', reference.truth, { '0': reference.p0, '1': reference.p1 }, ['0', '1']);
    const live = rows(20_000, 4);
    const replicas = [new ScoreHistograms(['0', '1']), new ScoreHistograms(['0', '1'])];
    for (let i = 0; i < live.p1.length; i += 10) {
      const slice = (column: readonly unknown[]) => column.slice(i, i + 10);
      replicas[(i / 10) % 2]!.record({ label: slice(live.label), probability_0: slice(live.p0), probability_1: slice(live.p1) }, 10);
    }
    const merged = mergeScoreHistograms(replicas.map((r) => r.toJSON()))!;
    expect(merged.rows).toBe(20_000);
    const estimate = estimatePerformance(merged, calibration);

    // Expected accuracy of calibrated rows: the mean probability of the predicted class.
    const expectedAccuracy = live.p1.reduce((sum, p) => sum + Math.max(p, 1 - p), 0) / live.p1.length;
    expect(Math.abs(estimate.accuracy! - expectedAccuracy)).toBeLessThan(0.01);
    // Realized on the drawn truth, too.
    const realized = live.label.filter((l, i) => l === live.truth[i]).length / live.label.length;
    expect(Math.abs(estimate.accuracy! - realized)).toBeLessThan(0.015);
    // Expected ROC AUC of calibrated rows, row by row: pairs weighted by p_i (1 - p_j) where p_i > p_j.
    const sorted = [...live.p1].sort((a, b) => a - b);
    let negativesBelow = 0;
    let pairs = 0;
    let positives = 0;
    for (const p of sorted) {
      pairs += p * negativesBelow;
      negativesBelow += 1 - p;
      positives += p;
    }
    const expectedAuc = pairs / (positives * negativesBelow);
    expect(Math.abs(estimate.rocAuc! - expectedAuc)).toBeLessThan(0.01);
  });

  it('skips rows without every probability, and is empty without rows', () => {
    const histograms = new ScoreHistograms(['a', 'b', 'c']);
    histograms.record({ label: ['a', 'b'], probability_a: [0.7, 0.1], probability_b: [0.2, null], probability_c: [0.1, 0.5] }, 2);
    expect(histograms.toJSON().rows).toBe(1);
    histograms.record({ label: ['a'], probability_a: [0.5] }, 1);
    expect(histograms.toJSON().rows).toBe(1);
    const calibration = fitCalibration('y', ['a', 'b', 'c'], { a: [0.7, 0.2, 0.1], b: [0.2, 0.6, 0.1], c: [0.1, 0.2, 0.8] }, ['a', 'b', 'c']);
    expect(estimatePerformance(undefined, calibration)).toEqual({ rows: 0, accuracy: null, rocAuc: null });
    const multiclass = estimatePerformance(histograms.toJSON(), calibration);
    expect(multiclass.rows).toBe(1);
    // The one row was predicted 'a' at 0.7: right with the calibrated probability of 'a' there.
    expect(multiclass.accuracy).toBe(calibrate(calibration.classes[0]!, 0.7));
  });

  it('fires an estimated_performance_drop rule with no feedback at all, when the served probabilities lose confidence', async () => {
    const reference = rows(20_000, 5);
    const profile = {
      ...buildProfile({ x: reference.p1, label: reference.label, probability_0: reference.p0, probability_1: reference.p1 }, {
        features: [{ name: 'x', kind: 'numeric' }],
        outputs: [
          { name: 'label', kind: 'categorical' },
          { name: 'probability_0', kind: 'numeric' },
          { name: 'probability_1', kind: 'numeric' },
        ],
      }),
      calibration: fitCalibration('y', reference.truth, { '0': reference.p0, '1': reference.p1 }, ['0', '1']),
    };
    const declared = monitorSchemaOf({ profile, schema: undefined, pipeline: undefined });
    expect(declared?.classes).toEqual(['0', '1']);
    const at = await storeOn(STORE_BACKENDS[0]!);
    const clock = { now: Date.parse('2025-03-01T08:00:00.000Z') };
    const monitor = new MonitorService({
      stores: monitorStores(at.store, { logWriter: false, blobs: new FileBlobStore(join(at.location.home, 'blobs')) }),
      config: monitorConfig({ windowMs: 60_000, rules: [{ id: 'est', model: 'm', type: 'estimated_performance_drop', metric: 'accuracy', threshold: 0.1, window: '10m' }] }),
      references: memoryReferences({ 'm:1': { profile, metrics: { accuracy: 0.8 } } }, { m: '1' }),
      schemaFor: () => declared,
      now: () => clock.now,
      timers: false,
    });
    const send = (probability: (i: number) => number) => {
      for (let i = 0; i < 500; i++) {
        const p = probability(i);
        monitor.record({ model: 'm', version: '1', requestId: `r${clock.now}-${i}`, at: clock.now, protocol: 'predict', rows: 1, latencyMs: 1, outcome: 'success', features: { x: [p] }, outputs: { label: [p >= 0.5 ? '1' : '0'], probability_0: [1 - p], probability_1: [p] } });
      }
    };
    try {
      // Confident predictions: estimated accuracy near the training figure, nothing fires.
      send((i) => (i % 2 ? 0.95 : 0.05));
      await monitor.flush({ all: true });
      expect(await monitor.evaluateAlerts()).toEqual([]);
      // Then every prediction sits near 0.5: about half of them are expected wrong.
      clock.now += 3_600_000;
      send((i) => (i % 2 ? 0.55 : 0.45));
      await monitor.flush({ all: true });
      const report = await monitor.reports.performance('m', { from: '10m', step: '10m' });
      expect(report.overall.rows).toBe(0);
      expect(report.overall.estimated!.rows).toBe(500);
      const transitions = await monitor.evaluateAlerts();
      expect(transitions.map((t) => [t.notification.rule.id, t.notification.state])).toEqual([['est', 'firing']]);
      expect(transitions[0]!.notification.value).toBeCloseTo(0.8 - report.overall.estimated!.accuracy!, 12);
      expect(report.overall.estimated!.accuracy!).toBeLessThan(0.6);
    } finally {
      await monitor.close();
      await at.cleanup();
    }
  });
});
