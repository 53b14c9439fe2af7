/** A drift verdict reduced to the one word the models list and the drift panel show. */
import type { DriftReport, ModelMonitorSummary } from '../api/api-types.js';

/** The at-a-glance drift state of a model. */
export interface DriftStatus {
  readonly level: 'ok' | 'warn' | 'bad' | 'none';
  readonly label: string;
  /** A longer sentence for a tooltip and screen readers. */
  readonly detail: string;
}

/** A drift report in brief, as the models list's summary carries it. */
export type DriftBrief = Pick<NonNullable<ModelMonitorSummary['drift']>, 'rows' | 'driftedShare' | 'datasetDrift' | 'driftedFeatures'>;

/** The brief of a full drift report. */
export function driftBrief(report: DriftReport): DriftBrief {
  return { rows: report.rows, driftedShare: report.driftedShare, datasetDrift: report.datasetDrift, driftedFeatures: report.features.filter((f) => f.drifted).map((f) => f.name) };
}

/**
 * `drifted` when the dataset drifts (the report's own judgement), `n drifting` when some features
 * do, `stable` otherwise, and `no traffic` when the window holds no rows to judge.
 */
export function driftStatus(drift: DriftBrief): DriftStatus {
  if (drift.rows === 0) return { level: 'none', label: 'no traffic', detail: 'No predictions in the window, so nothing to compare.' };
  const drifted = drift.driftedFeatures;
  const share = `${Math.round(drift.driftedShare * 100)}% of features drifted`;
  if (drift.datasetDrift) return { level: 'bad', label: 'drifted', detail: `Dataset drift: ${share} (${drifted.join(', ')}).` };
  if (drifted.length > 0) {
    return { level: 'warn', label: `${drifted.length} drifting`, detail: `${drifted.join(', ')} drifted; ${share}.` };
  }
  return { level: 'ok', label: 'stable', detail: `No feature drifted over ${drift.rows} rows.` };
}

/**
 * The verdict on the model's outputs: `no reference` when the profile holds no outputs to compare
 * with (a model imported without them), `no traffic` without rows, else drifted or stable. Never
 * "stable" for a comparison that was not made.
 */
export function predictionDriftStatus(prediction: DriftReport['predictionDrift'], rows: number): DriftStatus {
  const compared = prediction?.features.filter((f) => f.status === 'ok') ?? [];
  const referenced = prediction?.features.some((f) => f.status !== 'no-reference-data') ?? false;
  if (!prediction || !referenced) {
    return { level: 'none', label: 'no reference', detail: "The reference profile has no model outputs, so the predictions cannot be compared. Register the model with --reference data.csv to profile them." };
  }
  if (rows === 0 || compared.length === 0) return { level: 'none', label: 'no traffic', detail: 'No predictions in the window, so nothing to compare.' };
  const drifted = compared.filter((f) => f.drifted).map((f) => f.name);
  return drifted.length > 0
    ? { level: 'bad', label: 'drifted', detail: `The predictions drifted: ${drifted.join(', ')}.` }
    : { level: 'ok', label: 'stable', detail: `No output drifted over ${rows} rows.` };
}
