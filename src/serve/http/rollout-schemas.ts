/**
 * Request and response schemas of the rollout routes (docs/api.md, "Rollouts and roll back"):
 * rolling an alias back, and progressive rollouts with their guards and timeline.
 */
import { z } from 'zod';
import { IsoTime, list, named } from './api-schemas.js';

/** Where each alias of a model would roll back to. */
export const RollbackPlans = named(
  'RollbackPlans',
  z.object({
    model: z.string(),
    aliases: list(
      z.object({
        alias: z.string(),
        version: z.number().int().describe('The version the alias points at now.'),
        target: z.number().int().nullable().describe('The version a roll back would point it at: the one it served before, never a newer one; null when there is none.'),
      }),
    ),
  }),
);

/** The body of `POST /api/models/{name}/rollback`. */
export const RollbackBody = z
  .strictObject({
    alias: z.string().min(1).optional().describe('The alias to roll back; default production.'),
    reason: z.string().max(500).optional().describe('Why, for the audit log.'),
  })
  .nullish();

/** Figures of one version at a check. */
const CheckFigures = z.object({
  requests: z.number().int(),
  errors: z.number().int().describe('Failed requests the server answered for (5xx).'),
  p50Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
});

/** A guard's verdict at a check. */
export const GuardVerdict = named(
  'GuardVerdict',
  z.object({
    guard: z.string(),
    status: z.enum(['ok', 'breached', 'waiting', 'not_applicable']).describe('waiting: too few requests yet; not_applicable: nothing to measure at this step.'),
    value: z.number().nullable().describe("The challenger's figure."),
    limit: z.number().nullable().describe('The limit it was held to, in the metric\'s unit.'),
    champion: z.number().nullable().describe("The champion's figure over the same time."),
  }),
);

/** One entry of a rollout's timeline. */
export const RolloutEvent = named(
  'RolloutEvent',
  z.object({
    at: IsoTime,
    kind: z.enum(['started', 'step', 'takeover', 'promoted', 'rolled_back', 'aborted', 'failed']),
    step: z.number().int(),
    message: z.string(),
    replica: z.string().optional(),
  }),
);

/** A progressive rollout. */
export const RolloutRecord = named(
  'RolloutRecord',
  z.object({
    id: z.string(),
    model: z.string(),
    champion: z.number().int().describe('The production version it started from.'),
    challenger: z.number().int(),
    state: z.enum(['running', 'succeeded', 'rolled_back', 'aborted', 'failed']),
    plan: z.object({
      steps: list(z.string()).describe('`shadow`, then percentages of traffic to the challenger.'),
      bakeMs: z.number().int(),
      intervalMs: z.number().int(),
      minRequests: z.number().int(),
      guards: list(z.string()),
    }),
    step: z.object({
      index: z.number().int().describe('-1 before the first step; the number of steps while it is being promoted.'),
      name: z.string().nullable(),
      startedAt: IsoTime.nullable(),
    }),
    created: IsoTime,
    updated: IsoTime,
    finished: IsoTime.nullable(),
    nextCheck: IsoTime.nullable(),
    startedBy: z.object({ interface: z.string(), actor: z.string().nullable() }),
    reason: z.string().nullable().describe('Why it ended other than by succeeding: the guard breached, the abort, the failure.'),
    events: list(RolloutEvent),
    lastCheck: z
      .object({
        at: IsoTime,
        step: z.number().int(),
        from: IsoTime,
        challenger: CheckFigures,
        champion: CheckFigures,
        shadow: z.object({ compared: z.number().int(), disagreement: z.number().nullable() }).nullable(),
        guards: list(GuardVerdict),
        waiting: z.string().nullable().describe('What the step still waits for before it may pass.'),
      })
      .nullable(),
  }),
);

/** The body of `POST /api/models/{name}/rollouts`. */
export const StartRolloutBody = z.strictObject({
  version: z.union([z.number().int().min(1), z.string().regex(/^[0-9]+$/)]).describe('The challenger.'),
  steps: z.union([z.string(), list(z.union([z.string(), z.number()]))]).optional().describe('Default "shadow,10,50,100".'),
  bake: z.union([z.string(), z.number()]).optional().describe('How long each step is held: "5m", or ms. Default 5m.'),
  interval: z.union([z.string(), z.number()]).optional().describe('How often guards are checked: "10s", or ms. Default 10s.'),
  minRequests: z.union([z.number().int(), z.string()]).optional().describe('Requests the challenger must answer in a step before it may pass. Default 100.'),
  guards: list(z.string()).optional().describe('Default ["error_rate<0.01"].'),
});

/** `{name, id}` in a path. */
export const NameIdParams = z.object({ name: z.string(), id: z.string() });
