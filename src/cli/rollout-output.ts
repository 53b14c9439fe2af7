/** How `berth rollout status` shows a rollout to people: where it is, its latest check, guard by guard, and its timeline. */
import type { RolloutEvent, RolloutRecord } from '../app/rollouts/rollout-record.js';
import { formatDuration } from '../core/duration.js';

/** A rollout, in full. */
export function renderRollout(rollout: RolloutRecord): string {
  const { plan } = rollout;
  const lines = [
    `Rollout ${rollout.id} of ${rollout.model}: v${rollout.champion} → v${rollout.challenger}, ${rollout.state.replace('_', ' ')}`,
    `Plan:     steps ${plan.steps.join(', ')}; bake ${formatDuration(plan.bakeMs)}; checked every ${formatDuration(plan.intervalMs)}; at least ${plan.minRequests} requests; guards ${plan.guards.join(' ')}`,
    `Step:     ${stepLine(rollout)}`,
  ];
  if (rollout.reason) lines.push(`Reason:   ${rollout.reason}`);
  const check = rollout.lastCheck;
  if (check) {
    lines.push('', `Last check ${check.at} (figures since ${check.from})${check.waiting ? `: waiting for ${check.waiting}` : ''}`);
    const rows = [
      ['', 'REQUESTS', 'ERRORS', 'P50 MS', 'P99 MS'],
      ['challenger', ...figures(check.challenger)],
      ['champion', ...figures(check.champion)],
    ];
    lines.push(...table(rows).map((l) => `  ${l}`));
    if (check.shadow) lines.push(`  shadow: ${check.shadow.compared} requests compared, disagreement ${number(check.shadow.disagreement)}`);
    lines.push('', 'Guards');
    lines.push(
      ...table([
        ['GUARD', 'VERDICT', 'CHALLENGER', 'LIMIT', 'CHAMPION'],
        ...check.guards.map((g) => [g.guard, g.status.replace('_', ' '), number(g.value), number(g.limit), number(g.champion)]),
      ]).map((l) => `  ${l}`),
    );
  }
  lines.push('', 'Timeline', ...rollout.events.map((e) => `  ${eventLine(e)}`));
  return lines.join('\n');
}

/** One line of the timeline. */
export function eventLine(event: RolloutEvent): string {
  return `${event.at}  ${event.kind.padEnd(11)} ${event.message}`;
}

/** Rollouts in brief, newest first. */
export function renderRollouts(rollouts: readonly RolloutRecord[]): string {
  return table([
    ['ID', 'FROM', 'TO', 'STATE', 'STEP', 'STARTED', 'REASON'],
    ...rollouts.map((r) => [r.id, `v${r.champion}`, `v${r.challenger}`, r.state, r.step.name ?? '-', r.created, r.reason ?? '']),
  ]).join('\n');
}

function stepLine(rollout: RolloutRecord): string {
  const total = rollout.plan.steps.length;
  if (rollout.step.index < 0) return rollout.state === 'running' ? 'starting (waiting for a server to take it)' : 'none (traffic never moved)';
  if (rollout.step.index >= total) return rollout.state === 'running' ? 'every step passed; promoting' : 'every step passed';
  return `${rollout.step.name} (${rollout.step.index + 1} of ${total}) since ${rollout.step.startedAt}`;
}

function figures(f: { requests: number; errors: number; p50Ms: number | null; p99Ms: number | null }): string[] {
  return [String(f.requests), String(f.errors), number(f.p50Ms), number(f.p99Ms)];
}

function number(value: number | null): string {
  return value === null ? '-' : Number(value.toPrecision(4)).toString();
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}
