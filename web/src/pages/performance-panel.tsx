import { useQuery } from '@tanstack/react-query';
import { every, queries } from '../api/queries.js';
import { EmptyState } from '../components/empty-state.js';
import { ResourceView } from '../components/resource-view.js';
import { TimeSeriesChart } from '../components/time-series-chart.js';
import { formatNumber, metricLabel } from '../lib/format.js';
import type { PerformanceReport } from '../api/api-types.js';
import { HISTORY_STEP } from './drift-history-panel.js';

/** Metrics drawn per task, in this order, when present. */
const METRICS: Readonly<Record<string, readonly (keyof PerformanceReport['training'])[]>> = {
  classification: ['accuracy', 'f1', 'rocAuc'],
  regression: ['r2', 'rmse', 'mae'],
};

/** Metrics estimated without labels. */
const ESTIMATED = ['accuracy', 'rocAuc'] as const;

/**
 * Model quality per window from feedback (ground truth), against the training metrics; and, for a
 * classifier with a calibrated reference profile, the quality estimated without labels beside it.
 */
export function PerformancePanel({ model, from }: { readonly model: string; readonly from: string }) {
  const performance = useQuery({ ...queries.performance(model, { from, step: HISTORY_STEP[from] ?? '1h' }), refetchInterval: every(30_000) });
  return (
    <section className="panel" aria-labelledby="performance-title">
      <h2 id="performance-title">Performance</h2>
      <ResourceView
        resource={performance}
        what="the performance"
        isEmpty={(data) => data.points.every((p) => p.rows === 0 && !p.estimated?.rows)}
        empty={
          <EmptyState title="No feedback yet">
            Send the true outcome of predictions to <code>POST /api/models/{model}/feedback</code> with <code>{'{"requestId", "actual"}'}</code>; accuracy
            (or error) per window appears here.
          </EmptyState>
        }
      >
        {(data) => {
          const training = data.training ?? {};
          const keys = (METRICS[data.task ?? ''] ?? []).filter((k) => data.points.some((p) => typeof p[k] === 'number'));
          const range: [string, string] = [data.points[0]?.from ?? '', data.points.at(-1)?.to ?? ''];
          return (
            <>
              {keys.length > 0 ? (
                <TimeSeriesChart
                  title="Metrics per window from feedback (dashed: on the validation rows at training)"
                  rows={data.points.filter((p) => p.rows > 0).map((p) => ({ ...p, at: p.from }))}
                  range={range}
                  series={keys.map((k) => ({ key: k, label: metricLabel(k), ...(typeof training[k] === 'number' ? { reference: training[k] } : {}) }))}
                />
              ) : (
                <p className="muted small">No feedback in this range yet: realized figures appear when the true outcomes are sent.</p>
              )}
              {data.estimation ? <EstimatedPerformance report={data} range={range} /> : null}
              {data.estimationUnavailable && data.task === 'classification' ? <p className="muted small">No estimate without labels: {data.estimationUnavailable}.</p> : null}
              {data.unmatched ? <p className="muted small">{data.unmatched} feedback entries matched no logged prediction.</p> : null}
            </>
          );
        }}
      </ResourceView>
    </section>
  );
}

/** Accuracy and ROC AUC estimated from the served probabilities (CBPE), beside the realized ones, and the error over the range. */
function EstimatedPerformance({ report, range }: { readonly report: PerformanceReport; readonly range: [string, string] }) {
  const rows = report.points
    .filter((p) => (p.estimated?.rows ?? 0) > 0)
    .map((p) => ({ at: p.from, accuracy: p.accuracy, rocAuc: p.rocAuc, estimatedAccuracy: p.estimated?.accuracy, estimatedRocAuc: p.estimated?.rocAuc }));
  const { overall } = report;
  return (
    <>
      <TimeSeriesChart
        title="Estimated without labels (CBPE) beside realized from feedback"
        rows={rows}
        range={range}
        series={[
          { key: 'estimatedAccuracy', label: 'Accuracy, estimated' },
          { key: 'accuracy', label: 'Accuracy, realized' },
          { key: 'estimatedRocAuc', label: 'ROC AUC, estimated' },
          { key: 'rocAuc', label: 'ROC AUC, realized' },
        ]}
      />
      <div className="table-scroll">
        <table className="table">
          <caption className="visually-hidden">Estimated and realized performance over the range</caption>
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <th scope="col">Realized ({overall.rows} rows with feedback)</th>
              <th scope="col">Estimated ({overall.estimated?.rows ?? 0} rows served)</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {ESTIMATED.map((k) => (
              <tr key={k}>
                <th scope="row">{metricLabel(k)}</th>
                <td>{overall.rows > 0 ? formatNumber(overall[k]) : '–'}</td>
                <td>{formatNumber(overall.estimated?.[k])}</td>
                <td data-testid={`estimate-error-${k}`}>{overall.estimateError?.[k] != null ? signed(overall.estimateError[k]) : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted small">
        Estimated from the probabilities served and the model&apos;s calibration on {report.estimation?.calibrationRows} reference rows. It assumes the relation
        between inputs and outcome is unchanged: concept drift shows only in the realized figures.
      </p>
    </>
  );
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : '−'}${formatNumber(Math.abs(value))}`;
}
