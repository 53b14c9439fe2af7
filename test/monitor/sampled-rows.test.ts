/**
 * A request of many rows is counted whole but sketched from at most MAX_SKETCHED_ROWS of them, so
 * recording it cannot hold the event loop; the window says how many rows its sketches hold, and
 * drift judged on the sampled rows still finds a shifted feature and passes an unshifted one.
 */
import { describe, expect, it } from 'vitest';
import { buildProfile } from '../../src/monitor/build-profile.js';
import { ColumnCatalog } from '../../src/monitor/column-catalog.js';
import { driftReport } from '../../src/monitor/drift-report.js';
import { LiveWindow, MAX_SKETCHED_ROWS } from '../../src/monitor/live-window.js';
import { mergeMonitorWindows } from '../../src/monitor/monitor-window.js';
import { type PredictionEvent } from '../../src/monitor/prediction-event.js';

const ROWS = 200_000;
const schema = { features: [{ name: 'steady', kind: 'numeric' as const }, { name: 'moved', kind: 'numeric' as const }, { name: 'plan', kind: 'categorical' as const }] };

/** A deterministic spread of values in [0, 1), different for each seed. */
function spread(n: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x / 2 ** 31;
  });
}

function event(rows: number, features: PredictionEvent['features']): PredictionEvent {
  return { model: 'm', version: '1', requestId: 'r', at: 60_000, protocol: 'v2-rest', rows, latencyMs: 5, outcome: 'success', features };
}

describe('a request of many rows', () => {
  it('counts every row and sketches at most MAX_SKETCHED_ROWS of them', () => {
    const window = new LiveWindow(60_000, new ColumnCatalog(schema, 10), {});
    const steady = spread(ROWS, 1);
    window.record(event(ROWS, { steady, moved: steady, plan: steady.map((v) => (v < 0.25 ? 'a' : 'b')) }));
    window.record(event(3, { steady: [0.1, 0.2, 0.3], moved: [0.1, 0.2, 0.3], plan: ['a', 'b', 'b'] }));
    const data = window.toData();
    expect(MAX_SKETCHED_ROWS).toBe(1024);
    expect(data.rows).toBe(ROWS + 3);
    expect(data.sketches.rows).toBe(ROWS + 3);
    expect(data.sketches.rowsSampled).toBe(MAX_SKETCHED_ROWS + 3);
    expect(data.sketches.features.steady).toMatchObject({ count: MAX_SKETCHED_ROWS + 3, missing: 0 });
    const plan = data.sketches.features.plan as unknown as { categories: [string, number][] };
    // A systematic sample keeps the share of each category within a row or two of the whole.
    expect(Math.abs(Object.fromEntries(plan.categories).a! / (MAX_SKETCHED_ROWS + 3) - 0.25)).toBeLessThan(0.03);
    // Merged windows add both counts.
    const merged = mergeMonitorWindows([data, data]);
    expect(merged.rows).toBe(2 * (ROWS + 3));
    expect(merged.sketches.rowsSampled).toBe(2 * (MAX_SKETCHED_ROWS + 3));
  });

  it('leaves windows of small requests without a sampled count', () => {
    const window = new LiveWindow(60_000, new ColumnCatalog(schema, 10), {});
    window.record(event(MAX_SKETCHED_ROWS, { steady: spread(MAX_SKETCHED_ROWS, 2) }));
    expect(window.toData().sketches).not.toHaveProperty('rowsSampled');
  });

  it('still shows a shifted feature drifting, and an unshifted one not, from its sampled rows', () => {
    const reference = spread(20_000, 3);
    const profile = buildProfile({ steady: reference, moved: reference, plan: reference.map((v) => (v < 0.5 ? 'a' : 'b')) }, schema);
    const window = new LiveWindow(60_000, new ColumnCatalog(schema, 10), {});
    const current = spread(ROWS, 4);
    window.record(event(ROWS, { steady: current, moved: current.map((v) => v + 0.3), plan: current.map((v) => (v < 0.5 ? 'a' : 'b')) }));
    const data = window.toData();
    const report = driftReport(profile, data.sketches);
    expect(report.rows).toBe(ROWS);
    expect(report.rowsSampled).toBe(MAX_SKETCHED_ROWS);
    const drifted = Object.fromEntries(report.features.map((f) => [f.name, f.drifted]));
    expect(drifted).toEqual({ steady: false, moved: true, plan: false });
  });
});
