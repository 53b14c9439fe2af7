import { useQuery } from '@tanstack/react-query';
import { every, queries } from '../api/queries.js';
import { EmptyState } from '../components/empty-state.js';
import { ResourceView } from '../components/resource-view.js';
import { StatusBadge } from '../components/status-badge.js';
import { driftBrief, driftStatus, predictionDriftStatus } from '../lib/drift-status.js';
import { formatNumber, formatPercent, formatTime } from '../lib/format.js';
import { DriftTable } from './drift-table.js';

/** The drift report of a range: a summary line and the per-feature table with distributions. */
export function DriftPanel({ model, from }: { readonly model: string; readonly from: string }) {
  const report = useQuery({ ...queries.drift(model, { from }), refetchInterval: every(15_000) });

  return (
    <section className="panel" aria-labelledby="drift-title">
      <h2 id="drift-title">Drift</h2>
      <ResourceView resource={report} what="the drift report">
        {(data) => {
          const status = driftStatus(driftBrief(data));
          const predicted = data.predictionDrift;
          return (
            <>
              <dl className="facts facts-wide">
                <div>
                  <dt>Status</dt>
                  <dd>
                    <StatusBadge {...status} />
                  </dd>
                </div>
                <div>
                  <dt>Drifted features</dt>
                  <dd>{formatPercent(data.driftedShare)}</dd>
                </div>
                <div>
                  <dt>Rows compared</dt>
                  <dd>
                    {formatNumber(data.rows)} <span className="muted">vs {formatNumber(data.reference.rows)} reference</span>
                  </dd>
                </div>
                <div>
                  <dt>Prediction drift</dt>
                  <dd>
                    <StatusBadge {...predictionDriftStatus(predicted, data.rows)} />
                  </dd>
                </div>
                <div>
                  <dt>Outliers</dt>
                  <dd title="Rows with a feature outside the reference's 0.1–99.9% range, or a category it never held">
                    {data.outliers.share === null ? (
                      <span className="muted">not scored</span>
                    ) : (
                      <>
                        {formatPercent(data.outliers.share)} <span className="muted">{formatNumber(data.outliers.outlierRows)} rows{worstOutlier(data.outliers.features)}</span>
                      </>
                    )}
                  </dd>
                </div>
                <div>
                  <dt>Window</dt>
                  <dd className="small">
                    {formatTime(data.from)} – {formatTime(data.to)}
                    {` · v${data.version}`}
                  </dd>
                </div>
              </dl>
              {data.rows === 0 ? (
                <EmptyState title="No predictions in this range">
                  Drift compares live traffic with the training data. Send predictions (the <a href={`#/playground/${encodeURIComponent(model)}`}>Playground</a>, or{' '}
                  <code>POST /api/models/{model}/predict</code>) and the report fills in.
                </EmptyState>
              ) : (
                <DriftTable report={data} />
              )}
            </>
          );
        }}
      </ResourceView>
    </section>
  );
}

/** The feature most often outside the reference, as ", most: name", or nothing. */
function worstOutlier(features: Readonly<Record<string, number>>): string {
  const [name, count] = Object.entries(features).sort((a, b) => b[1] - a[1])[0] ?? [];
  return name !== undefined && count !== undefined && count > 0 ? `, most: ${name}` : '';
}
