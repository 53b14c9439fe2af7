/**
 * Rollout guards: what must hold of a challenger's live figures for a rollout step to go on. One
 * grammar for the CLI (`--guard "error_rate<0.01"`), the API and the dashboard:
 *
 *     metric op limit
 *
 * - metric: `error_rate` (failed requests ÷ requests), `p50_ms` and `p99_ms` (request latency),
 *   `drift` (the largest Jensen–Shannon distance between the challenger's and the champion's
 *   output distributions over the same time), `disagreement` (share of shadowed requests whose
 *   answer differs from the champion's).
 * - op: `<` or `<=`. Every metric is worse when higher, so a guard states an upper limit.
 * - limit: a number (`0.01`, `50`), a percentage for rates (`1%`), or for error_rate, p50_ms and
 *   p99_ms a multiple of the champion's own figure over the same time (`1.5x`).
 *
 * @example
 *   parseRolloutGuard('p99_ms<1.2x'); // { metric: 'p99_ms', op: '<', limit: 1.2, relative: true, text: 'p99_ms<1.2x' }
 */
import { Errors } from './errors.js';

/** What a guard measures. */
export const GUARD_METRICS = ['error_rate', 'p50_ms', 'p99_ms', 'drift', 'disagreement'] as const;

/** What a guard measures. */
export type GuardMetric = (typeof GUARD_METRICS)[number];

/** Metrics whose limit may be a multiple of the champion's figure. */
const RELATIVE_METRICS: ReadonlySet<GuardMetric> = new Set(['error_rate', 'p50_ms', 'p99_ms']);
/** Metrics that are shares in [0, 1]. */
const RATE_METRICS: ReadonlySet<GuardMetric> = new Set(['error_rate', 'drift', 'disagreement']);

/** A parsed guard. */
export interface RolloutGuard {
  /** The guard as written, normalised (no spaces), for messages and the API. */
  readonly text: string;
  readonly metric: GuardMetric;
  readonly op: '<' | '<=';
  /** The limit: a plain value, or with `relative` a multiple of the champion's figure. */
  readonly limit: number;
  readonly relative: boolean;
}

const GUARD = /^([a-z0-9_]+)\s*(<=|>=|<|>|=)\s*(.+)$/;

/**
 * Parses one guard. Throws BERTH_ROLLOUT_GUARD_INVALID, naming what is wrong and showing a
 * guard that would work.
 */
export function parseRolloutGuard(text: string): RolloutGuard {
  const source = String(text).trim();
  const match = GUARD.exec(source);
  if (!match) throw invalid(source, 'it is not of the form metric<limit');
  const [, name, op, rawLimit] = match as unknown as [string, string, string, string];
  if (!(GUARD_METRICS as readonly string[]).includes(name)) throw invalid(source, `'${name}' is not a guard metric (use ${GUARD_METRICS.join(', ')})`);
  const metric = name as GuardMetric;
  if (op !== '<' && op !== '<=') throw invalid(source, `a guard states the limit ${metric} must stay under; write ${metric}<${rawLimit.trim()}`);
  const limitText = rawLimit.trim().replace(/\s+/g, '');
  let relative = false;
  let limit: number;
  if (/x$/i.test(limitText)) {
    if (!RELATIVE_METRICS.has(metric)) throw invalid(source, `${metric} cannot be relative to the champion; give a value such as ${metric}<0.05`);
    relative = true;
    limit = decimal(limitText.slice(0, -1));
    if (!(limit > 0)) throw invalid(source, `'${limitText}' is not a positive multiple of the champion's figure, such as 1.5x`);
  } else if (limitText.endsWith('%')) {
    if (!RATE_METRICS.has(metric)) throw invalid(source, `${metric} is in milliseconds, not a percentage`);
    limit = decimal(limitText.slice(0, -1)) / 100;
  } else {
    limit = decimal(limitText);
  }
  if (!Number.isFinite(limit)) throw invalid(source, `'${limitText}' is not a number`);
  if (!relative) {
    if (RATE_METRICS.has(metric) && !(limit > 0 && limit <= 1)) throw invalid(source, `${metric} is a share from 0 to 1, so the limit must be above 0 and at most 1 (or 100%)`);
    if (!RATE_METRICS.has(metric) && !(limit > 0)) throw invalid(source, `${metric} is a latency in milliseconds, so the limit must be above 0`);
  }
  return { text: `${metric}${op}${limitText}`, metric, op, limit, relative };
}

/** Parses every guard; throws on the first that does not parse. Two guards on the same metric and kind are refused. */
export function parseRolloutGuards(texts: readonly string[]): RolloutGuard[] {
  const guards = texts.map(parseRolloutGuard);
  const seen = new Set<string>();
  for (const guard of guards) {
    const key = `${guard.metric}:${guard.relative}`;
    if (seen.has(key)) throw invalid(guard.text, `another guard already limits ${guard.metric}${guard.relative ? ' relative to the champion' : ''}; keep one`);
    seen.add(key);
  }
  return guards;
}

/** True when `value` keeps within the guard, given the champion's figure for relative guards. */
export function guardHolds(guard: RolloutGuard, value: number, champion?: number): boolean {
  const limit = guard.relative ? guard.limit * (champion ?? Number.NaN) : guard.limit;
  return guard.op === '<' ? value < limit : value <= limit;
}

/** The limit a guard sets, given the champion's figure for relative guards. */
export function guardLimit(guard: RolloutGuard, champion?: number): number {
  return guard.relative ? guard.limit * (champion ?? Number.NaN) : guard.limit;
}

function decimal(text: string): number {
  return /^(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : Number.NaN;
}

function invalid(guard: string, reason: string) {
  return Errors.ROLLOUT_GUARD_INVALID.create(guard, reason);
}
