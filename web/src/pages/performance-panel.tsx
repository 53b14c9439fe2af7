import { useQuery } from '@tanstack/react-query';
import { every, queries } from '../api/queries.js';
import { EmptyState } from '../components/empty-state.js';
import { ResourceView } from '../components/resource-view.js';
import { TimeSeriesChart } from '../components/time-series-chart.js';
import { metricLabel } from '../lib/format.js';
import type { PerformanceReport } from '../api/api-types.js';
import { HISTORY_STEP } from './drift-history-panel.js';

/** Metrics drawn per task, in this order, when present. */
const METRICS: Readonly<Record<string, readonly (keyof PerformanceReport['training'])[]>> = {
  classification: ['accuracy', 'f1', 'rocAuc'],
  regression: ['r2', 'rmse', 'mae'],
};

/** Model quality per window from feedback (ground truth), against the training metrics. */
export function PerformancePanel({ model, from }: { readonly model: string; readonly from: string }) {
  const performance = useQuery({ ...queries.performance(model, { from, step: HISTORY_STEP[from] ?? '1h' }), refetchInterval: every(30_000) });
  return (
    <section className="panel" aria-labelledby="performance-title">
      <h2 id="performance-title">Performance from feedback</h2>
      <ResourceView
        resource={performance}
        what="the performance"
        isEmpty={(data) => data.points.every((p) => p.rows === 0)}
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
          return (
            <>
              <TimeSeriesChart
                title="Metrics per window (dashed: on the validation rows at training)"
                rows={data.points.filter((p) => p.rows > 0).map((p) => ({ ...p, at: p.from }))}
                range={[data.points[0]?.from ?? '', data.points.at(-1)?.to ?? '']}
                series={keys.map((k) => ({ key: k, label: metricLabel(k), ...(typeof training[k] === 'number' ? { reference: training[k] } : {}) }))}
              />
              {data.unmatched ? <p className="muted small">{data.unmatched} feedback entries matched no logged prediction.</p> : null}
            </>
          );
        }}
      </ResourceView>
    </section>
  );
}
