import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { every, queries } from '../api/queries.js';
import { EmptyState } from '../components/empty-state.js';
import { ResourceView } from '../components/resource-view.js';
import { TrafficCharts } from '../components/traffic-charts.js';

/** Ranges of the live charts and the window step each uses. */
const RANGES = [
  { id: '15m', label: '15 min', step: '30s' },
  { id: '1h', label: '1 hour', step: '1m' },
  { id: '24h', label: '24 hours', step: '30m' },
] as const;

/** Live request rate, latency and errors of a model, refreshed every few seconds. */
export function TrafficPanel({ model }: { readonly model: string }) {
  const [range, setRange] = useState<(typeof RANGES)[number]>(RANGES[1]);
  const traffic = useQuery({ ...queries.traffic(model, { from: range.id, step: range.step }), refetchInterval: every(5_000) });
  return (
    <section className="panel" aria-labelledby="traffic-title">
      <div className="panel-head">
        <h2 id="traffic-title">Live traffic</h2>
        <div className="segmented" role="group" aria-label="Time range">
          {RANGES.map((r) => (
            <button key={r.id} type="button" aria-pressed={r.id === range.id} onClick={() => setRange(r)}>
              {r.label}
            </button>
          ))}
        </div>
      </div>
      <ResourceView
        resource={traffic}
        what="the traffic"
        isEmpty={(data) => data.points.every((p) => p.requests === 0)}
        empty={
          <EmptyState title="No requests in this range">
            Send a prediction from the <a href={`#/playground/${encodeURIComponent(model)}`}>Playground</a> and it shows here within seconds.
          </EmptyState>
        }
      >
        {(data) => <TrafficCharts points={data.points} />}
      </ResourceView>
    </section>
  );
}
