import { useQuery } from '@tanstack/react-query';
import { every, queries } from '../api/queries.js';
import { EmptyState } from '../components/empty-state.js';
import { ResourceView } from '../components/resource-view.js';
import { TimeSeriesChart } from '../components/time-series-chart.js';
import { formatPercent } from '../lib/format.js';

/** Step of the history per range: about 30 to 60 points. */
export const HISTORY_STEP: Readonly<Record<string, string>> = { '1h': '2m', '24h': '30m', '7d': '4h' };

/** The share of drifted features per window over the range. */
export function DriftHistoryPanel({ model, from }: { readonly model: string; readonly from: string }) {
  const history = useQuery({ ...queries.driftHistory(model, { from, step: HISTORY_STEP[from] ?? '1h' }), refetchInterval: every(30_000) });
  return (
    <section className="panel" aria-labelledby="history-title">
      <h2 id="history-title">Drift over time</h2>
      <ResourceView
        resource={history}
        what="the drift history"
        isEmpty={(data) => data.points.every((p) => p.rows === 0)}
        empty={<EmptyState title="No traffic in this range yet" />}
      >
        {(data) => (
          <TimeSeriesChart
            title="Share of drifted features per window"
            rows={data.points.filter((p) => p.rows > 0 && p.driftedShare !== null).map((p) => ({ at: p.from, share: p.driftedShare }))}
            series={[{ key: 'share', label: 'Drifted share' }]}
            range={[data.points[0]?.from ?? '', data.points.at(-1)?.to ?? '']}
            format={formatPercent}
            domain={[0, 1]}
          />
        )}
      </ResourceView>
    </section>
  );
}
