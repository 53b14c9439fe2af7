import type { GuardVerdict, RolloutRecord } from '../api/api-types.js';
import { formatDuration } from '../lib/duration.js';
import { formatNumber, formatPercent, formatTime } from '../lib/format.js';
import { StatusBadge } from './status-badge.js';
import './rollout.css';

/** The badge of a rollout's state. */
export function RolloutStateBadge({ state }: { readonly state: RolloutRecord['state'] }) {
  const level = state === 'succeeded' ? 'ok' : state === 'running' ? 'warn' : state === 'aborted' ? 'none' : 'bad';
  return <StatusBadge level={level} label={state.replace('_', ' ')} />;
}

const VERDICT_LEVEL: Record<GuardVerdict['status'], 'ok' | 'warn' | 'bad' | 'none'> = { ok: 'ok', breached: 'bad', waiting: 'warn', not_applicable: 'none' };

/** A guard's figure in its unit: rates as percentages, latencies in ms, distances as numbers. */
function figure(guard: string, value: number | null): string {
  if (value === null) return '—';
  if (guard.startsWith('error_rate') || guard.startsWith('disagreement')) return formatPercent(value);
  if (guard.startsWith('p50_ms') || guard.startsWith('p99_ms')) return `${formatNumber(value)} ms`;
  return formatNumber(value);
}

/**
 * One rollout: its steps with where traffic is, the reason it ended (a breached guard, an abort),
 * the latest check (the challenger's figures beside the champion's, and each guard's verdict) and
 * its timeline. Figures are the server's; nothing is computed here.
 */
export function RolloutView({ rollout }: { readonly rollout: RolloutRecord }) {
  const check = rollout.lastCheck;
  const total = rollout.plan.steps.length;
  const ended = rollout.state !== 'running';
  return (
    <div className="rollout">
      <p className="rollout-summary">
        <b>
          v{rollout.champion} → v{rollout.challenger}
        </b>{' '}
        <RolloutStateBadge state={rollout.state} />{' '}
        <span className="muted">
          started {formatTime(rollout.created)} by {rollout.startedBy.actor ?? rollout.startedBy.interface}; bake {formatDuration(rollout.plan.bakeMs)}, checked every{' '}
          {formatDuration(rollout.plan.intervalMs)}, at least {rollout.plan.minRequests} requests per step
        </span>
      </p>
      <ol className="rollout-steps" aria-label="Steps">
        {rollout.plan.steps.map((step, i) => {
          const status =
            i < rollout.step.index || (rollout.state === 'succeeded' && i <= rollout.step.index)
              ? 'done'
              : i === rollout.step.index
                ? ended
                  ? rollout.state === 'succeeded'
                    ? 'done'
                    : 'stopped'
                  : 'current'
                : 'pending';
          return (
            <li key={step} className={`rollout-step rollout-step-${status}`} aria-current={status === 'current' ? 'step' : undefined}>
              <span className="rollout-step-name">{step}</span>
              <span className="rollout-step-status">{status === 'current' ? 'now' : status}</span>
            </li>
          );
        })}
        <li className={`rollout-step rollout-step-${rollout.state === 'succeeded' ? 'done' : 'pending'}`}>
          <span className="rollout-step-name">production</span>
          <span className="rollout-step-status">{rollout.state === 'succeeded' ? 'done' : rollout.step.index >= total ? 'now' : 'pending'}</span>
        </li>
      </ol>
      {rollout.reason ? (
        <div className={`state ${rollout.state === 'aborted' ? 'state-empty' : 'state-error'}`} role="status">
          <p className="state-title">{rollout.state === 'rolled_back' ? 'Rolled back' : rollout.state === 'aborted' ? 'Aborted' : 'Failed'}</p>
          <p className="state-body">{rollout.reason}</p>
        </div>
      ) : null}
      {check ? (
        <div className="rollout-check">
          <h3>
            Latest check <span className="muted">{formatTime(check.at)}</span>
          </h3>
          {check.waiting ? <p className="muted">Step {rollout.plan.steps[check.step]} waits for {check.waiting}.</p> : null}
          <div className="table-scroll">
            <table className="table">
              <caption>Challenger and champion since the step began ({formatTime(check.from)})</caption>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Requests</th>
                  <th scope="col">Errors</th>
                  <th scope="col">p50</th>
                  <th scope="col">p99</th>
                </tr>
              </thead>
              <tbody>
                {(
                  [
                    ['challenger', rollout.challenger, check.challenger],
                    ['champion', rollout.champion, check.champion],
                  ] as const
                ).map(([role, version, f]) => (
                  <tr key={role}>
                    <th scope="row">
                      v{version} <span className="muted">{role}</span>
                    </th>
                    <td>{formatNumber(f.requests)}</td>
                    <td>
                      {formatNumber(f.errors)} <span className="muted">({f.requests > 0 ? formatPercent(f.errors / f.requests) : '—'})</span>
                    </td>
                    <td>{f.p50Ms === null ? '—' : `${formatNumber(f.p50Ms)} ms`}</td>
                    <td>{f.p99Ms === null ? '—' : `${formatNumber(f.p99Ms)} ms`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="table-scroll">
            <table className="table">
              <caption>Guards</caption>
              <thead>
                <tr>
                  <th scope="col">Guard</th>
                  <th scope="col">Verdict</th>
                  <th scope="col">Challenger</th>
                  <th scope="col">Limit</th>
                  <th scope="col">Champion</th>
                </tr>
              </thead>
              <tbody>
                {check.guards.map((g) => (
                  <tr key={g.guard}>
                    <th scope="row">
                      <code>{g.guard}</code>
                    </th>
                    <td>
                      <StatusBadge level={VERDICT_LEVEL[g.status]} label={g.status.replace('_', ' ')} />
                    </td>
                    <td>{figure(g.guard, g.value)}</td>
                    <td>{figure(g.guard, g.limit)}</td>
                    <td>{figure(g.guard, g.champion)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      ) : (
        <p className="muted">Guards: {rollout.plan.guards.join(', ')}. No check yet.</p>
      )}
      <h3>Timeline</h3>
      <ol className="rollout-timeline" aria-label="Timeline">
        {[...rollout.events].reverse().map((event, i) => (
          <li key={`${event.at}-${i}`} className={`rollout-event rollout-event-${event.kind}`}>
            <time dateTime={event.at}>{formatTime(event.at)}</time> <span className="rollout-event-kind">{event.kind.replace('_', ' ')}</span> {event.message}
          </li>
        ))}
      </ol>
    </div>
  );
}
