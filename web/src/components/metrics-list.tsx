import { formatNumber, metricLabel } from '../lib/format.js';

/** Props of {@link MetricsList}. */
export interface MetricsListProps {
  /** Metric name → value; non-numeric entries (a confusion matrix, the task) are skipped. */
  readonly metrics: Readonly<Record<string, unknown>> | undefined;
  /** Leave these out (rows, say, shown elsewhere); row counts are never shown as metrics. */
  readonly omit?: readonly string[];
}

/** Counts the manifest's `metrics` carry beside the figures: facts about the data, not metrics. */
const COUNTS = ['validationRows', 'rows'];

/** Metrics as a compact definition list: `Accuracy 0.97  ROC AUC 0.99`. */
export function MetricsList({ metrics, omit = [] }: MetricsListProps) {
  const entries = Object.entries(metrics ?? {}).filter(([name, v]) => typeof v === 'number' && !omit.includes(name) && !COUNTS.includes(name)) as [string, number][];
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <dl className="metrics">
      {entries.map(([name, value]) => (
        <div key={name}>
          <dt>{metricLabel(name)}</dt>
          <dd>{formatNumber(value)}</dd>
        </div>
      ))}
    </dl>
  );
}
