/**
 * Request and response schemas of the retraining routes (docs/api.md, "Retraining"): retrain a
 * model now, its retraining jobs (training jobs with a `retrain` spec), and its policy.
 */
import { z } from 'zod';
import { PROMOTIONS } from '../../core/retrain-policy.js';
import { IsoTime, JsonObject, named } from './api-schemas.js';

/** The body of `POST /api/models/{name}/retrain`; an empty body retrains with the policy's settings. */
export const RetrainBody = z
  .strictObject({
    since: z.string().optional().describe("The window of labelled traffic to learn from, back from now (`7d`); default the policy's."),
    promote: z.enum(PROMOTIONS).optional().describe("What to do with a better challenger; default the policy's (manual)."),
  })
  .nullish();

/** A retraining policy as people write it (every field optional; defaults filled in). */
export const RetrainPolicyBody = named(
  'RetrainPolicySettings',
  z.looseObject({
    triggers: z
      .looseObject({
        every: z.string().optional().describe('Retrain every so long (`1d`), counted from the last retraining.'),
        cron: z.string().optional().describe('Retrain on a cron schedule, UTC (`0 3 * * *`).'),
        onDrift: z.boolean().optional().describe('Retrain when a drift alert (drift_share or feature_drift) starts firing for the model.'),
        newLabelledRows: z.number().int().optional().describe('Retrain once this many new labelled rows have arrived since the last retraining.'),
      })
      .optional(),
    since: z.string().optional().describe('The window of labelled traffic (default 7d).'),
    promote: z.enum(PROMOTIONS).optional().describe('manual (register and wait), rollout (shadow first, under guards) or auto (production at once); default manual.'),
    margin: z.number().optional().describe('How much better on the recent held-out rows counts as better (log loss for classifiers, R² for regressors); default 0.005.'),
    forgetting: z.number().optional().describe('How much worse on the original validation rows is tolerated; default 0.05.'),
    minRows: z.number().int().optional().describe('Fewest labelled rows a retraining needs; default 100.'),
    maxRows: z.number().int().optional(),
    holdout: z.number().optional().describe('Share of the labelled rows held out to judge on; default 0.3.'),
    seed: z.number().int().optional(),
    algorithm: z.enum(['auto', 'linear', 'gbdt']).optional().describe("Overrides the champion's trainer."),
    rollout: JsonObject.optional().describe('The rollout plan for promote: rollout (steps, bake, interval, minRequests, guards).'),
  }),
);

/** A model's retraining policy, or `policy: null` when it has none. */
export const RetrainPolicyRecord = named(
  'RetrainPolicy',
  z.object({
    model: z.string(),
    policy: JsonObject.nullable().describe('The validated policy with its defaults, or null: the model retrains only by hand, with the default settings.'),
    state: JsonObject.describe('What its triggers have seen: lastRun, lastJob, driftAlerts, lastError.'),
    updated: IsoTime.nullable(),
  }),
);
