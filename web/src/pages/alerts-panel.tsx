import type { Alert } from '../api/api-types.js';
import { useQuery } from '@tanstack/react-query';
import { every, queries } from '../api/queries.js';
import { EmptyState } from '../components/empty-state.js';
import { ResourceView } from '../components/resource-view.js';
import { StatusBadge } from '../components/status-badge.js';
import { formatAgo, formatNumber } from '../lib/format.js';
import { href } from '../router/use-hash-route.js';

/** What people call the rule: its name, else its type, else its id. */
function ruleName(alert: Alert): string {
  return alert.name || alert.type.replace(/_/g, ' ') || alert.rule;
}

/** Alerts, firing first; one model's when `model` is given, else every model's. */
export function AlertsPanel({ model }: { readonly model?: string }) {
  const alerts = useQuery({ ...queries.alerts(), refetchInterval: every(15_000) });
  const mine = (data: { readonly alerts: readonly Alert[] }): Alert[] =>
    data.alerts
      .filter((a) => model === undefined || a.model === model)
      .sort((a, b) => Number(b.state === 'firing') - Number(a.state === 'firing') || b.since.localeCompare(a.since));
  return (
    <section className="panel" aria-labelledby="alerts-title">
      <h2 id="alerts-title">Alerts</h2>
      <ResourceView
        resource={alerts}
        what="the alerts"
        isEmpty={(data) => mine(data).length === 0}
        empty={<EmptyState title="No alerts">Alert rules (drift, missing values, errors, latency, performance) fire here and by webhook.</EmptyState>}
      >
        {(data) => (
          <ul className="alerts" aria-label="Alerts">
            {mine(data).map((a, i) => (
              <li key={`${ruleName(a)}:${a.model}:${i}`} className={`alert alert-${a.state}`}>
                <StatusBadge level={a.state === 'firing' ? 'bad' : 'none'} label={a.state} />
                <span className="alert-rule">{ruleName(a)}</span>
                {model === undefined ? <a href={href('monitoring', a.model)}>{a.model}</a> : null}
                <span className="muted">
                  value {formatNumber(a.value)} (threshold {formatNumber(a.threshold)}) · since {formatAgo(a.since)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </ResourceView>
    </section>
  );
}
