/**
 * How `berth train` and `berth predict` show their results to people: the candidates tried, the
 * chosen model's validation metrics, the confusion matrix, and where the model went. Scripts use
 * --json instead.
 */
import type { ClassificationMetrics, Metrics } from '../train/index.js';
import type { PredictCommandResult } from './commands/predict.js';
import type { TrainCommandResult } from './commands/train.js';
import { formatBytes, plainTable, shortDigest } from './registry-output.js';

/** The rows trained on, and those left out and why. */
function rowsUsed(result: TrainCommandResult): string {
  if (result.droppedRows === 0) return `${result.rows} rows`;
  const dropped = result.droppedRows;
  return `${result.rows - dropped} of ${result.rows} rows (${dropped} left out: their '${result.target}' is missing)`;
}

/** The `berth train` report. */
export function renderTrainResult(result: TrainCommandResult): string {
  const m = result.metrics;
  const features = result.schema.features.length;
  const ignored = result.ignoredColumns.map((c) => `\n  ignored column '${c.name}': ${c.reason}`).join('');
  const lines = [
    `Trained ${result.name}: ${result.task} of '${result.target}' from ${rowsUsed(result)} and ${features} feature${features === 1 ? '' : 's'}${ignored}`,
    '',
    renderCandidates(result),
    '',
    result.folds !== undefined
      ? `Cross-validated metrics of ${result.method} (${result.folds} folds: each of ${m.rows} rows predicted by a model fitted without it):`
      : `Validation metrics of ${result.method} (${result.validationSource !== undefined ? `${m.rows} rows of ${result.validationSource}` : `${m.rows} held-out rows`}):`,
    renderMetrics(m),
  ];
  if (m.task === 'classification') lines.push('', 'Confusion matrix (rows: true label, columns: predicted):', renderConfusion(m));
  lines.push('');
  const bundle = `${shortDigest(result.bundle.digest)}, ${formatBytes(result.bundle.size)}`;
  if (result.bundle.dir) lines.push(`Bundle: ${result.bundle.dir} (${bundle})`);
  const r = result.registered;
  if (r) {
    const aliases = r.aliasesSet.map((a) => `; @${a} → ${r.version}`).join('');
    lines.push(r.created ? `Registered ${r.model} version ${r.version} (${bundle})${aliases}` : `${r.model} version ${r.version} already holds this bundle${aliases}`);
  }
  return lines.join('\n');
}

/** The `berth predict` summary line. */
export function renderPredictResult(result: PredictCommandResult): string {
  const ignored = result.ignoredColumns.length ? `\nIgnored columns the model does not use: ${result.ignoredColumns.join(', ')}` : '';
  const warnings = result.warnings.map((w) => `\nwarning: ${w}`).join('');
  return `Scored ${result.rows} row${result.rows === 1 ? '' : 's'} with ${result.model}:${result.version}${result.output ? ` into ${result.output}` : ''} (columns: ${result.columns.join(', ')})${ignored}${warnings}`;
}

function renderCandidates(result: TrainCommandResult): string {
  const classification = result.task === 'classification';
  const head = classification ? ['trainer', 'method', 'accuracy', 'macro F1', 'ROC AUC', 'log loss', ''] : ['trainer', 'method', 'RMSE', 'MAE', 'R²', ''];
  return plainTable(
    head,
    result.candidates.map((c) => {
      const chosen = c.algorithm === result.algorithm ? 'chosen' : '';
      const m = c.metrics;
      const figures = m.task === 'classification' ? [m.accuracy, m.macroF1, m.rocAuc, m.logLoss] : [m.rmse, m.mae, m.r2];
      return [c.algorithm, `${c.method}${parameters(c.parameters)}`, ...figures.map(figure), chosen];
    }),
  );
}

/** The hyperparameters a trainer chose on validation; the fixed settings are in the bundle's evaluation. */
const CHOSEN_PARAMETERS = new Set(['C', 'alpha', 'iterations']);

function parameters(values: Readonly<Record<string, number | string | null>>): string {
  const shown = Object.entries(values).filter(([k, v]) => v !== null && CHOSEN_PARAMETERS.has(k));
  return shown.length ? ` (${shown.map(([k, v]) => `${k}=${v}`).join(', ')})` : '';
}

function renderMetrics(m: Metrics): string {
  const rows: [string, number][] =
    m.task === 'classification'
      ? [['accuracy', m.accuracy], ['macro F1', m.macroF1], ['ROC AUC', m.rocAuc], ['log loss', m.logLoss]]
      : [['RMSE', m.rmse], ['MAE', m.mae], ['R²', m.r2]];
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `  ${name.padEnd(width)}  ${figure(value)}`).join('\n');
}

/** Labels as they are (a table header would upper-case them), counts right-aligned. */
function renderConfusion(m: ClassificationMetrics): string {
  const { labels, counts } = m.confusionMatrix;
  const cells = [['', ...labels], ...labels.map((label, i) => [label, ...counts[i]!.map(String)])];
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((row) => row[c]!.length)));
  return cells.map((row) => `  ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}`.trimEnd()).join('\n');
}

/** Four decimals; `-` for a figure that cannot be computed (ROC AUC of a single class). */
function figure(value: number): string {
  return Number.isFinite(value) ? value.toFixed(4) : '-';
}
