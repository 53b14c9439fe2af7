/**
 * A model's retraining policy: when a challenger is trained (triggers), on what (the labelled
 * traffic of a window, the split), and what happens when it is better (promotion). One validator
 * for the CLI's flags, the API's body and the dashboard's form.
 *
 * @example
 *   retrainPolicy({ triggers: { every: '1d', onDrift: true, newLabelledRows: 1000 }, promote: 'rollout' });
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { Errors } from './errors.js';
import { type RolloutPlanInput, rolloutPlan } from './rollout-plan.js';

/** What happens to a challenger that is better than the champion. */
export const PROMOTIONS = ['manual', 'rollout', 'auto'] as const;

/** What happens to a better challenger: registered only, rolled out under guards, or made production at once. */
export type Promotion = (typeof PROMOTIONS)[number];

/** Why a retraining started. */
export type RetrainTriggerKind = 'manual' | 'schedule' | 'drift_alert' | 'labelled_rows';

const Duration = z.string().refine((text) => parseDuration(text) !== undefined, "must be a duration such as '90m', '1d' or '7d'");
/** Shortest interval between scheduled retrainings: each registers a version, and a cron schedule fires at most once a minute too. */
const MIN_EVERY_MS = 60_000;
const Every = Duration.refine((text) => (parseDuration(text) ?? 0) >= MIN_EVERY_MS, 'must be at least 1m: each retraining registers a version');

/** The policy's shape, with defaults filled in. */
export const RetrainPolicySchema = z
  .object({
    triggers: z
      .object({
        /** Retrain every so long (`1d`), counted from the last retraining. */
        every: Every.optional(),
        /** Retrain on a cron schedule in UTC (`0 3 * * *`: at 03:00 every day). */
        cron: z.string().min(1).max(100).optional(),
        /** Retrain when a drift alert (drift_share or feature_drift rule) starts firing for the model. */
        onDrift: z.boolean().default(false),
        /** Retrain once this many new labelled rows have arrived since the last retraining. */
        newLabelledRows: z.number().int().min(1).optional(),
      })
      .strict()
      .prefault({}),
    /** The window of labelled traffic to learn from, back from the moment retraining starts. */
    since: Duration.default('7d'),
    promote: z.enum(PROMOTIONS).default('manual'),
    /**
     * How much better the challenger must be on the recent held-out rows, on the task's main
     * metric (ROC AUC for classifiers, R² for regressors), to count as better.
     */
    margin: z.number().min(0).max(1).default(0.005),
    /** How much worse than the champion it may be on the original validation rows (forgetting). */
    forgetting: z.number().min(0).max(1).default(0.05),
    /** Fewest labelled rows a retraining needs. */
    minRows: z.number().int().min(10).default(100),
    /** Most labelled rows read from the window (the newest are kept). */
    maxRows: z.number().int().min(10).max(1_000_000).default(100_000),
    /** Share of the labelled rows (and of the original data) held out to judge the two models on. */
    holdout: z.number().gt(0).lt(1).default(0.3),
    /** Seed of the splits. */
    seed: z.number().int().min(0).default(0),
    /** Overrides the champion's trainer. */
    algorithm: z.enum(['auto', 'linear', 'gbdt']).optional(),
    /** The rollout a better challenger goes through with `promote: rollout` (default: shadow first, then 10, 50, 100%). */
    rollout: z
      .object({
        steps: z.union([z.string(), z.array(z.union([z.string(), z.number()]))]).optional(),
        bake: z.union([z.string(), z.number()]).optional(),
        interval: z.union([z.string(), z.number()]).optional(),
        minRequests: z.union([z.number(), z.string()]).optional(),
        guards: z.array(z.string()).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** A validated policy. */
export type RetrainPolicy = z.output<typeof RetrainPolicySchema>;

/** A policy as people write it. */
export type RetrainPolicyInput = z.input<typeof RetrainPolicySchema>;

/** Validates a policy and fills its defaults. Throws BERTH_RETRAIN_POLICY_INVALID naming the first problem. */
export function retrainPolicy(input: unknown = {}): RetrainPolicy {
  const parsed = RetrainPolicySchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw Errors.RETRAIN_POLICY_INVALID.create(issue.path.join('.') || 'policy', issue.message);
  }
  const policy = parsed.data;
  if (policy.triggers.cron !== undefined) cronSchedule(policy.triggers.cron);
  // The rollout plan is checked now, so a bad guard is refused when the policy is set, not when a challenger wins.
  if (policy.rollout) {
    try {
      rolloutPlan(policy.rollout as RolloutPlanInput);
    } catch (error) {
      throw Errors.RETRAIN_POLICY_INVALID.create('rollout', error instanceof Error ? error.message : String(error));
    }
  }
  return policy;
}

/**
 * A cron schedule (five fields, UTC). Throws BERTH_RETRAIN_POLICY_INVALID for one that does not
 * parse.
 */
export function cronSchedule(pattern: string): Cron {
  try {
    return new Cron(pattern, { paused: true, timezone: 'UTC' });
  } catch (error) {
    throw Errors.RETRAIN_POLICY_INVALID.create('triggers.cron', `'${pattern}' is not a cron schedule (${error instanceof Error ? error.message : String(error)}); write five fields, e.g. '0 3 * * *'`);
  }
}

/**
 * When a scheduled retraining is next due after `last` (epoch ms): `every` after it, or the cron
 * schedule's next time after it, whichever is sooner; undefined without a schedule.
 */
export function nextScheduled(policy: RetrainPolicy, last: number): number | undefined {
  const times: number[] = [];
  if (policy.triggers.every !== undefined) times.push(last + parseDuration(policy.triggers.every)!);
  if (policy.triggers.cron !== undefined) {
    const next = cronSchedule(policy.triggers.cron).nextRun(new Date(last));
    if (next) times.push(next.getTime());
  }
  return times.length > 0 ? Math.min(...times) : undefined;
}
