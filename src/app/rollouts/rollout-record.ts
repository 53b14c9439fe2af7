/**
 * A rollout as the CLI, the API and the dashboard see it, and how it is read from its row: the
 * plan as written, where traffic is, the timeline, and the latest check with each guard's verdict.
 */
import { type RolloutPlan, formatRolloutStep, rolloutPlan } from '../../core/rollout-plan.js';
import type { RolloutRow } from '../../store/index.js';

/** Where a rollout is: running, or how it ended. */
export type RolloutState = 'running' | 'succeeded' | 'rolled_back' | 'aborted' | 'failed';

/** The states a rollout ends in. */
export const FINISHED_STATES: readonly RolloutState[] = ['succeeded', 'rolled_back', 'aborted', 'failed'];

/** One entry of a rollout's timeline. */
export interface RolloutEvent {
  readonly at: string;
  /** `started`, `step` (traffic moved), `takeover` (another replica took the lease), `promoted`, `rolled_back`, `aborted`, `failed`. */
  readonly kind: 'started' | 'step' | 'takeover' | 'promoted' | 'rolled_back' | 'aborted' | 'failed';
  /** The step it happened at (-1 before the first). */
  readonly step: number;
  readonly message: string;
  /** The replica that wrote it, where one did. */
  readonly replica?: string;
}

/** A guard's verdict at a check. */
export interface GuardVerdict {
  readonly guard: string;
  /** `ok` (holds), `breached`, `waiting` (not enough requests yet to judge), `not_applicable` (nothing to measure at this step: disagreement outside the shadow step, a relative guard without champion figures). */
  readonly status: 'ok' | 'breached' | 'waiting' | 'not_applicable';
  /** The challenger's figure, or null. */
  readonly value: number | null;
  /** The limit it was held to (a relative guard's, in the metric's unit), or null. */
  readonly limit: number | null;
  /** The champion's figure over the same time, where there is one. */
  readonly champion: number | null;
}

/** One version's figures over a check's range. */
export interface CheckFigures {
  readonly requests: number;
  /** Failed requests the server answered for (5xx). */
  readonly errors: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** The latest check of a rollout. */
export interface RolloutCheck {
  readonly at: string;
  readonly step: number;
  /** Start of the range the figures cover (the window the step began in). */
  readonly from: string;
  readonly challenger: CheckFigures;
  readonly champion: CheckFigures;
  /** Shadowed requests compared at a shadow step, and the share whose answers differed. */
  readonly shadow: { readonly compared: number; readonly disagreement: number | null } | null;
  readonly guards: readonly GuardVerdict[];
  /** What the step still waits for before it may pass (bake time, requests), or null once it has passed. */
  readonly waiting: string | null;
}

/** A rollout. */
export interface RolloutRecord {
  readonly id: string;
  readonly model: string;
  readonly champion: number;
  readonly challenger: number;
  readonly state: RolloutState;
  readonly plan: {
    /** `shadow`, `10%`, … */
    readonly steps: readonly string[];
    readonly bakeMs: number;
    readonly intervalMs: number;
    readonly minRequests: number;
    readonly guards: readonly string[];
  };
  /** Where traffic is: index -1 before the first step. */
  readonly step: { readonly index: number; readonly name: string | null; readonly startedAt: string | null };
  readonly created: string;
  readonly updated: string;
  readonly finished: string | null;
  readonly nextCheck: string | null;
  readonly startedBy: { readonly interface: string; readonly actor: string | null };
  /** Why it ended other than by succeeding, or null. */
  readonly reason: string | null;
  readonly events: readonly RolloutEvent[];
  readonly lastCheck: RolloutCheck | null;
}

/** The plan as stored: the words people wrote. */
export interface StoredPlan {
  readonly steps: readonly string[];
  readonly bake: number;
  readonly interval: number;
  readonly minRequests: number;
  readonly guards: readonly string[];
}

/** A plan as it is stored in a row. */
export function storedPlan(plan: RolloutPlan): StoredPlan {
  return {
    steps: plan.steps.map((s) => (s.kind === 'shadow' ? 'shadow' : String(s.percent))),
    bake: plan.bakeMs,
    interval: plan.intervalMs,
    minRequests: plan.minRequests,
    guards: plan.guards.map((g) => g.text),
  };
}

/** A row's plan, parsed again (it was validated when the rollout started). */
export function planOf(row: RolloutRow): RolloutPlan {
  const stored = JSON.parse(row.plan) as StoredPlan;
  return rolloutPlan({ steps: stored.steps, bake: stored.bake, interval: stored.interval, minRequests: stored.minRequests, guards: stored.guards });
}

/** A row as the record callers see. */
export function rolloutRecord(row: RolloutRow): RolloutRecord {
  const plan = planOf(row);
  const state = row.state as RolloutState;
  const step = plan.steps[row.step];
  return {
    id: row.id,
    model: row.model,
    champion: row.champion,
    challenger: row.challenger,
    state,
    plan: { steps: plan.steps.map(formatRolloutStep), bakeMs: plan.bakeMs, intervalMs: plan.intervalMs, minRequests: plan.minRequests, guards: plan.guards.map((g) => g.text) },
    step: { index: row.step, name: step ? formatRolloutStep(step) : null, startedAt: row.step_started_at },
    created: row.created_at,
    updated: row.updated_at,
    finished: row.finished_at,
    nextCheck: state === 'running' ? row.next_check_at : null,
    startedBy: { interface: row.interface, actor: row.actor },
    reason: row.reason,
    events: JSON.parse(row.events) as RolloutEvent[],
    lastCheck: row.last_check === null ? null : (JSON.parse(row.last_check) as RolloutCheck),
  };
}
