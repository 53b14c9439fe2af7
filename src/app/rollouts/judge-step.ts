/**
 * Judging a rollout step at a check: each guard's verdict on the challenger's figures (beside the
 * champion's over the same time), and whether the step has seen enough requests to be judged.
 * A pure function, so every verdict can be checked from figures alone.
 */
import { type RolloutGuard, guardLimit } from '../../core/rollout-guard.js';
import type { RolloutPlan, RolloutStep } from '../../core/rollout-plan.js';
import { featureDrift } from '../../monitor/index.js';
import type { ShadowFigures, VersionFigures } from './rollout-figures.js';
import type { CheckFigures, GuardVerdict } from './rollout-record.js';

/** What a check measured. */
export interface StepFigures {
  readonly step: RolloutStep;
  readonly challenger: VersionFigures;
  readonly champion: VersionFigures;
  /** At a shadow step, the shadow's comparison (undefined where none is kept). */
  readonly shadow?: ShadowFigures | undefined;
}

/** A step judged. */
export interface StepJudgement {
  /** The challenger's figures the guards judged: its own traffic, or at a shadow step its shadowed requests. */
  readonly challenger: CheckFigures;
  readonly champion: CheckFigures;
  readonly guards: readonly GuardVerdict[];
  /** The first guard breached, if any. */
  readonly breached: GuardVerdict | undefined;
  /** True once the challenger has answered at least the plan's least requests in this step. */
  readonly enough: boolean;
}

/** Judges the guards of `plan` on the figures of one check. */
export function judgeStep(plan: RolloutPlan, figures: StepFigures): StepJudgement {
  const champion = traffic(figures.champion);
  const shadow = figures.step.kind === 'shadow' ? figures.shadow : undefined;
  // At a shadow step the challenger answers no caller: its figures are those of the copies it ran.
  const challenger: CheckFigures =
    figures.step.kind === 'shadow'
      ? { requests: shadow?.requests ?? 0, errors: shadow?.failed ?? 0, p50Ms: shadow?.latencyMs.p50 ?? null, p99Ms: shadow?.latencyMs.p99 ?? null }
      : traffic(figures.challenger);
  const championLatency = shadow ? { p50Ms: shadow.primaryLatencyMs.p50, p99Ms: shadow.primaryLatencyMs.p99 } : champion;
  const enough = challenger.requests >= plan.minRequests;
  const guards = plan.guards.map((guard): GuardVerdict => {
    if (!enough) return verdict(guard, 'waiting', null, null);
    switch (guard.metric) {
      case 'error_rate':
        return judge(guard, challenger.requests > 0 ? challenger.errors / challenger.requests : null, champion.requests > 0 ? champion.errors / champion.requests : null);
      case 'p50_ms':
        return judge(guard, challenger.p50Ms, championLatency.p50Ms);
      case 'p99_ms':
        return judge(guard, challenger.p99Ms, championLatency.p99Ms);
      case 'drift':
        return figures.step.kind === 'shadow' || figures.champion.requests === 0 || figures.champion.requests < plan.minRequests
          ? verdict(guard, 'not_applicable', null, null)
          : judge(guard, outputDrift(figures.champion, figures.challenger), null);
      case 'disagreement':
        return judge(guard, shadow?.disagreement ?? null, null);
    }
  });
  return { challenger, champion, guards, breached: guards.find((g) => g.status === 'breached'), enough };
}

function traffic(figures: VersionFigures): CheckFigures {
  return { requests: figures.requests, errors: figures.errors, p50Ms: figures.p50Ms, p99Ms: figures.p99Ms };
}

/** A verdict on a measured value; a value or a needed champion figure that is missing makes it not applicable. */
function judge(guard: RolloutGuard, value: number | null, champion: number | null): GuardVerdict {
  if (value === null || !Number.isFinite(value)) return verdict(guard, 'not_applicable', null, champion);
  if (guard.relative && (champion === null || !Number.isFinite(champion))) return verdict(guard, 'not_applicable', value, null);
  const limit = guardLimit(guard, champion ?? undefined);
  // A figure of zero is never worse than the champion's, even when the champion's is zero too.
  const holds = value === 0 || (guard.op === '<' ? value < limit : value <= limit);
  return { guard: guard.text, status: holds ? 'ok' : 'breached', value, limit, champion };
}

function verdict(guard: RolloutGuard, status: GuardVerdict['status'], value: number | null, champion: number | null): GuardVerdict {
  return { guard: guard.text, status, value, limit: guard.relative ? null : guard.limit, champion };
}

/**
 * The largest Jensen–Shannon distance between the champion's and the challenger's distribution of
 * an output column both answered with; null when they share none.
 */
export function outputDrift(champion: VersionFigures, challenger: VersionFigures): number | null {
  let largest: number | null = null;
  for (const [name, reference] of Object.entries(champion.outputs)) {
    const current = challenger.outputs[name];
    if (current === undefined || current.kind !== reference.kind) continue;
    const { statistic } = featureDrift(reference, current, 'jensenshannon');
    if (Number.isFinite(statistic)) largest = Math.max(largest ?? 0, statistic);
  }
  return largest;
}
