/** A drift report reduced to the one word the models list shows. */
import type { DriftReport } from '../api/api-types.js';

/** The at-a-glance drift state of a model. */
export interface DriftStatus {
  readonly level: 'ok' | 'warn' | 'bad' | 'none';
  readonly label: string;
  /** A longer sentence for a tooltip and screen readers. */
  readonly detail: string;
}

/**
 * `drifted` when the dataset drifts (the report's own judgement), `n drifting` when some features
 * do, `stable` otherwise, and `no traffic` when the window holds no rows to judge.
 */
export function driftStatus(report: DriftReport): DriftStatus {
  if (report.rows === 0) return { level: 'none', label: 'no traffic', detail: 'No predictions in the window, so nothing to compare.' };
  const drifted = report.features.filter((f) => f.drifted).map((f) => f.name);
  const share = `${Math.round(report.driftedShare * 100)}% of features drifted`;
  if (report.datasetDrift) return { level: 'bad', label: 'drifted', detail: `Dataset drift: ${share} (${drifted.join(', ')}).` };
  if (drifted.length > 0) {
    return { level: 'warn', label: `${drifted.length} drifting`, detail: `${drifted.join(', ')} drifted; ${share}.` };
  }
  return { level: 'ok', label: 'stable', detail: `No feature drifted over ${report.rows} rows.` };
}
