/**
 * The performance part of `berth monitor`: realized metrics (from feedback) beside the metrics
 * estimated without labels (CBPE), and the estimate's error where both exist.
 */
import type { PerformanceReport } from '../monitor/index.js';
import { plainTable } from './registry-output.js';

/** The terminal lines of a performance report over the range. */
export function renderPerformance(report: PerformanceReport): string {
  const { overall } = report;
  const estimated = overall.estimated ?? null;
  const lines = [`Performance of ${report.model}${report.version !== null ? ` version ${report.version}` : ''}: ${overall.rows} rows with feedback${estimated ? `, ${estimated.rows} rows estimated without labels` : ''}`];
  if (report.task === 'regression') {
    const metrics = (['rmse', 'mae', 'r2'] as const).map((m) => [m, show(overall[m]), show(report.training[m])]);
    lines.push(plainTable(['metric', 'realized', 'training'], metrics));
    return lines.join('\n');
  }
  const rows = (['accuracy', 'rocAuc'] as const).map((m) => [
    m,
    overall.rows > 0 ? show(overall[m]) : '-',
    estimated ? show(estimated[m]) : '-',
    overall.estimateError ? signed(overall.estimateError[m]) : '-',
    show(report.training[m]),
  ]);
  lines.push(plainTable(['metric', 'realized', 'estimated', 'error', 'training'], rows));
  if (report.estimation) lines.push(`Estimated by CBPE from the probabilities served, with the calibration measured on ${report.estimation.calibrationRows} reference rows; it assumes the relation between inputs and truth has not changed (no concept drift).`);
  else if (report.estimationUnavailable) lines.push(`No estimate: ${report.estimationUnavailable}.`);
  return lines.join('\n');
}

function show(x: number | null | undefined): string {
  return typeof x === 'number' ? x.toFixed(4) : '-';
}

function signed(x: number | null): string {
  return x === null ? '-' : `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;
}
