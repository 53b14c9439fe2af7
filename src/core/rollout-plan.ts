/**
 * A rollout's plan: the steps traffic moves through, how long each is held (bake), how often the
 * guards are checked (interval), the least requests a step needs before it may pass, and the
 * guards. One validator for the CLI's flags, the API's body and the dashboard's form.
 *
 * Steps are `shadow` (the challenger sees a copy of every request; callers only ever get the
 * champion's answers) and percentages of traffic sent to the challenger (`10`, `50`, `100`),
 * strictly increasing; `shadow` may only come first. Passing the last step points `production`
 * at the challenger.
 *
 * @example
 *   rolloutPlan({ steps: 'shadow,10,50,100', bake: '5m', interval: '10s', minRequests: 100, guards: ['error_rate<0.01'] });
 */
import { formatDuration, parseDuration } from './duration.js';
import { Errors } from './errors.js';
import { type RolloutGuard, parseRolloutGuards } from './rollout-guard.js';

/** One step of a rollout. */
export type RolloutStep = { readonly kind: 'shadow' } | { readonly kind: 'traffic'; readonly percent: number };

/** A validated plan. */
export interface RolloutPlan {
  readonly steps: readonly RolloutStep[];
  /** How long each step is held before it may pass, ms. */
  readonly bakeMs: number;
  /** How often the guards are checked, ms. */
  readonly intervalMs: number;
  /** Requests the challenger must have answered in a step before the step may pass and before guards judge it. */
  readonly minRequests: number;
  readonly guards: readonly RolloutGuard[];
}

/** A plan as people write it: strings from flags or JSON, numbers from JSON. */
export interface RolloutPlanInput {
  /** `shadow,10,50,100`, or the steps as a list. */
  readonly steps?: string | readonly (string | number)[] | undefined;
  /** `5m`, or ms. */
  readonly bake?: string | number | undefined;
  /** `10s`, or ms. */
  readonly interval?: string | number | undefined;
  readonly minRequests?: number | string | undefined;
  readonly guards?: readonly string[] | undefined;
}

/** The defaults: shadow, then 10%, 50%, 100%, five minutes each, checked every ten seconds, at least 100 requests, and an error rate under 1%. */
export const DEFAULT_ROLLOUT = { steps: 'shadow,10,50,100', bake: '5m', interval: '10s', minRequests: 100, guards: ['error_rate<0.01'] } as const;

/** Shortest check interval: a check reads the monitor's windows from the database. */
const MIN_INTERVAL_MS = 1000;
/** Most steps a plan may have. */
const MAX_STEPS = 20;

/** Validates a plan and fills the defaults. Throws BERTH_ROLLOUT_PLAN_INVALID or BERTH_ROLLOUT_GUARD_INVALID. */
export function rolloutPlan(input: RolloutPlanInput = {}): RolloutPlan {
  const steps = parseRolloutSteps(input.steps ?? DEFAULT_ROLLOUT.steps);
  const bakeMs = duration('bake', input.bake ?? DEFAULT_ROLLOUT.bake, 0);
  const intervalMs = duration('interval', input.interval ?? DEFAULT_ROLLOUT.interval, MIN_INTERVAL_MS);
  const minRequests = wholeNumber(input.minRequests ?? DEFAULT_ROLLOUT.minRequests);
  const guards = parseRolloutGuards(input.guards === undefined || input.guards.length === 0 ? DEFAULT_ROLLOUT.guards : input.guards);
  return { steps, bakeMs, intervalMs, minRequests, guards };
}

/** Parses steps such as `shadow,10,50,100`. Throws BERTH_ROLLOUT_PLAN_INVALID. */
export function parseRolloutSteps(input: string | readonly (string | number)[]): RolloutStep[] {
  const items = typeof input === 'string' ? input.split(',') : input;
  const texts = items.map((s) => String(s).trim());
  if (texts.length === 0 || texts.every((t) => t === '')) throw invalid('steps', String(input), 'give at least one step');
  if (texts.length > MAX_STEPS) throw invalid('steps', texts.join(','), `at most ${MAX_STEPS} steps`);
  const steps: RolloutStep[] = [];
  let last = 0;
  texts.forEach((text, i) => {
    if (text.toLowerCase() === 'shadow') {
      if (i !== 0) throw invalid('steps', texts.join(','), 'shadow can only be the first step (copies of requests before any traffic moves)');
      steps.push({ kind: 'shadow' });
      return;
    }
    const percent = Number(text.replace(/%$/, ''));
    if (!/^\d+%?$/.test(text) || !(percent > 0 && percent <= 100)) throw invalid('steps', texts.join(','), `'${text}' is neither shadow nor a whole percentage from 1 to 100`);
    if (percent <= last) throw invalid('steps', texts.join(','), 'the percentages must increase step by step');
    last = percent;
    steps.push({ kind: 'traffic', percent });
  });
  if (steps.length === 1 && steps[0]!.kind === 'shadow') throw invalid('steps', texts.join(','), 'a rollout moves traffic: add at least one percentage after shadow, e.g. shadow,10,100');
  return steps;
}

/** A step as people write it: `shadow` or `10%`. */
export function formatRolloutStep(step: RolloutStep): string {
  return step.kind === 'shadow' ? 'shadow' : `${step.percent}%`;
}

/** The plan in the words of the CLI's flags, for messages. */
export function describeRolloutPlan(plan: RolloutPlan): string {
  const steps = plan.steps.map((s) => (s.kind === 'shadow' ? 'shadow' : String(s.percent))).join(',');
  return `steps ${steps}, bake ${formatDuration(plan.bakeMs)}, every ${formatDuration(plan.intervalMs)}, at least ${plan.minRequests} requests, guards ${plan.guards.map((g) => g.text).join(' ')}`;
}

function duration(name: string, value: string | number, min: number): number {
  const ms = typeof value === 'number' ? value : value.trim() === '0' ? 0 : parseDuration(value);
  if (ms === undefined || !Number.isFinite(ms) || !Number.isInteger(ms) || ms < min || (ms === 0 && min > 0)) {
    throw invalid(name, String(value), `give a duration such as ${name === 'bake' ? '5m' : '10s'}${min > 0 ? ` (at least ${formatDuration(min)})` : ''}`);
  }
  if (ms > 7 * 86_400_000) throw invalid(name, String(value), 'at most 7d');
  return ms;
}

function wholeNumber(value: number | string): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > 1_000_000_000) throw invalid('min-requests', String(value), 'give a whole number of requests, such as 100');
  return n;
}

function invalid(option: string, value: string, reason: string) {
  return Errors.ROLLOUT_PLAN_INVALID.create(option, value, reason);
}
