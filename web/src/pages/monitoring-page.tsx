import { useState } from 'react';
import { EmptyState } from '../components/empty-state.js';
import { ModelPicker } from '../components/model-picker.js';
import { href } from '../router/use-hash-route.js';
import { AlertsPanel } from './alerts-panel.js';
import { DriftHistoryPanel } from './drift-history-panel.js';
import { DriftPanel } from './drift-panel.js';
import { PerformancePanel } from './performance-panel.js';

const RANGES = [
  { id: '1h', label: '1 hour' },
  { id: '24h', label: '24 hours' },
  { id: '7d', label: '7 days' },
] as const;

/** Drift per feature with distributions, drift over time, alerts and performance of one model. */
export function MonitoringPage({ name }: { readonly name: string | undefined }) {
  const [from, setFrom] = useState<string>('24h');
  return (
    <main className="page" aria-labelledby="page-title">
      <div className="page-head">
        <h1 id="page-title" tabIndex={-1}>Monitoring{name ? <span className="muted"> · {name}</span> : null}</h1>
        <div className="page-actions">
          <ModelPicker section="monitoring" current={name} />
          {name ? (
            <div className="segmented" role="group" aria-label="Time range">
              {RANGES.map((r) => (
                <button key={r.id} type="button" aria-pressed={r.id === from} onClick={() => setFrom(r.id)}>
                  {r.label}
                </button>
              ))}
            </div>
          ) : null}
        </div>
      </div>
      {name ? (
        <>
          <DriftPanel model={name} from={from} />
          <div className="two-columns">
            <DriftHistoryPanel model={name} from={from} />
            <AlertsPanel model={name} />
          </div>
          <PerformancePanel model={name} from={from} />
          <p className="muted small">
            <a href={href('models', name)}>Back to {name}</a>
          </p>
        </>
      ) : (
        <>
          <EmptyState title="Choose a model">Pick a model above to see its drift, alerts and performance.</EmptyState>
          <AlertsPanel />
        </>
      )}
    </main>
  );
}
