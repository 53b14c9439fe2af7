/**
 * Request and response schemas of the training routes (docs/api.md, "Training"). A job is
 * declared with the fields clients read; fields it gains are carried along undeclared.
 */
import { z } from 'zod';
import { IsoTime, JsonObject, list, named, sentAs } from './api-schemas.js';
import { FeatureSchema } from './registry-schemas.js';

/** A training job as the API shows it. */
export const TrainingJob = named(
  'TrainingJob',
  sentAs<object>(
    z.looseObject({
      id: z.string(),
      state: z.enum(['queued', 'running', 'succeeded', 'failed']),
      created: IsoTime,
      started: IsoTime.optional(),
      finished: IsoTime.optional(),
      file: z.string().describe("The uploaded file's name."),
      target: z.string(),
      name: z.string().describe("The model name the bundle suggests (the upload's name, else the file's)."),
      options: z.looseObject({
        task: z.string(),
        algorithm: z.string(),
        seed: z.number().optional(),
        classWeight: z.enum(['none', 'balanced']).optional(),
        strict: z.boolean().optional(),
        folds: z.number().int().optional().describe('K-fold cross-validation instead of a held-out split.'),
        keepData: z.boolean().optional(),
      }),
      retrain: z
        .looseObject({
          model: z.string(),
          champion: z.number().int().describe('The version retrained: the challenger\'s parent.'),
          trigger: z.looseObject({ kind: z.enum(['manual', 'schedule', 'drift_alert', 'labelled_rows']), detail: z.string().optional() }),
          since: z.string(),
          window: z.object({ from: IsoTime, to: IsoTime }),
          promote: z.enum(['manual', 'rollout', 'auto']),
          restarts: z.number().int().optional().describe('Times the job was queued again because the replica running it was lost.'),
        })
        .optional()
        .describe('A retraining job: what it retrains, why, on which window, and what happens to a better challenger.'),
      progress: z.object({ stage: z.string(), fraction: z.number(), message: z.string() }),
      result: z
        .looseObject({
          task: z.string(),
          algorithm: z.string(),
          method: z.string().describe('The trainer chosen: logistic-regression, ridge-regression, gbdt.'),
          metrics: JsonObject,
          candidates: list(z.looseObject({ algorithm: z.string(), method: z.string().optional(), metrics: JsonObject })),
          schema: FeatureSchema,
          rows: z.number().int(),
          ignoredColumns: list(z.unknown()),
          retrain: z
            .looseObject({
              challenger: z.number().int(),
              parent: z.number().int(),
              evaluation: JsonObject.describe('The evaluation table (challenger and champion on the recent held-out rows and on the original validation rows), the metric and the verdict.'),
              decision: z.enum(['candidate', 'registered', 'rollout', 'promoted']),
              reason: z.string(),
              rollout: z.string().optional(),
              kept: z.object({ digest: z.string(), rows: z.number().int() }),
            })
            .optional()
            .describe("A retraining job's challenger and what was done with it."),
        })
        .optional(),
      error: z.object({ error: z.string(), code: z.string() }).optional(),
      registered: z.object({ model: z.string(), version: z.number().int() }).optional().describe('The version this job was last registered as.'),
    }),
  ),
);

/** `{id}` in a path. */
export const JobParams = z.object({ id: z.string() });

/** The body of `POST /api/training/{id}/register`; an empty body is allowed. */
export const RegisterJobBody = z.object({ name: z.string().optional(), alias: z.string().optional() }).nullish();
