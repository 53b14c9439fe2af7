/**
 * Request and response schemas of the deployment routes (docs/api.md, "Deployments"): a model's
 * traffic policy as core/deployment.ts checks it and the registry stores it, and each version's
 * live figures.
 */
import { z } from 'zod';
import { DeploymentPolicyInputSchema, DeploymentShadowSchema, DeploymentVariantSchema, StickyKeySchema } from '../../core/deployment.js';
import { IsoTime, list, named } from './api-schemas.js';

/** A variant: a version and its share of the traffic. */
export const DeploymentVariant = named('DeploymentVariant', DeploymentVariantSchema);

/** A shadow: a version that sees copies of a share of requests and is never answered from. */
export const DeploymentShadow = named('DeploymentShadow', DeploymentShadowSchema);

/** What keeps one user on one variant. */
export const StickyKey = named('StickyKey', StickyKeySchema.describe('A request header (lower case), or a named feature: the first record\'s field, or a request parameter of a tensor request.'));

/** A stored deployment. */
export const DeploymentRecord = named(
  'DeploymentRecord',
  z.object({
    model: z.string(),
    variants: list(DeploymentVariant).describe('Empty: the default version (production, else the latest) takes all traffic.'),
    shadows: list(DeploymentShadow),
    sticky: StickyKey,
    updated: IsoTime,
    seq: z.number().int().describe('The change that wrote it; send it back as expectedSeq to change it safely.'),
  }),
);

/** The body of `PUT /api/models/{name}/deployment`. */
export const SetDeploymentBody = named(
  'SetDeploymentBody',
  DeploymentPolicyInputSchema.extend({
    expectedSeq: z.number().int().min(0).optional().describe('Refuse (409 BERTH_DEPLOYMENT_CHANGED) unless the stored deployment is still this one (0: none).'),
  }).strict(),
);

/** What a change did. */
export const DeploymentChange = named('DeploymentChange', z.object({ deployment: DeploymentRecord.nullable(), previous: DeploymentRecord.nullable() }));

/** One version's live figures over the last minutes. */
export const VersionFigures = named(
  'VersionFigures',
  z.object({
    version: z.number().int(),
    role: z.enum(['variant', 'shadow', 'default']).describe('variant: takes its weight of the traffic; shadow: sees copies; default: takes all traffic (no variants).'),
    weight: z.number().nullable().describe('Percent of the traffic (variants and the default version).'),
    sample: z.number().nullable().describe('Share of requests copied (shadows).'),
    served: z.boolean().nullable().describe('Loaded on the replica that answered (null: asked without a server).'),
    from: IsoTime,
    to: IsoTime,
    requests: z.number().int(),
    errors: z.number().int(),
    errorRate: z.number().nullable(),
    requestsPerSecond: z.number(),
    latencyMs: z.object({ p50: z.number().nullable(), p99: z.number().nullable() }),
    drift: z.object({ driftedShare: z.number(), datasetDrift: z.boolean(), driftedFeatures: list(z.string()) }).nullable(),
    driftUnavailable: z.string().nullable(),
    comparison: z
      .object({ dropped: z.number().int(), disagreement: z.number().nullable(), meanAbsoluteDifference: z.number().nullable() })
      .nullable()
      .describe("For a shadow: how its copies compared with the answers (its requests, errors, latency and drift are its copies', from its shadow windows); null otherwise."),
  }),
);

/** `GET /api/models/{name}/deployment`. */
export const DeploymentStatus = named(
  'DeploymentStatus',
  z.object({
    model: z.string(),
    deployment: DeploymentRecord.nullable().describe('null: the default version takes all traffic.'),
    defaultVersion: z.number().int().nullable(),
    versions: list(VersionFigures).nullable().describe('Each version taking part, with its figures over the last 5 minutes; null while monitoring is off.'),
  }),
);

/** Query of a model's deployment status. */
export const DeploymentStatusQuery = z.strictObject({
  since: z.string().optional().describe('Range of the figures: a duration ago such as 5m (default), 1h or 24h.'),
});

/** Query of a shadow's comparison report. */
export const ComparisonQuery = z.strictObject({
  from: z.string().optional().describe('ISO 8601 time or a duration ago (1h, 30m); default 1h.'),
  to: z.string().optional().describe('ISO 8601 time or a duration ago; default now.'),
});

/** A latency pair. */
const Percentiles = z.object({ p50: z.number().nullable(), p99: z.number().nullable() });

/** `GET /api/models/{name}/shadows/{version}/comparison`. */
export const ShadowComparisonReport = named(
  'ShadowComparisonReport',
  z.object({
    model: z.string(),
    shadow: z.number().int(),
    from: IsoTime,
    to: IsoTime,
    requests: z.number().int().describe('Copies the shadow ran (answered or failed).'),
    dropped: z.number().int().describe('Copies dropped because the shadow fell behind.'),
    failed: z.number().int().describe('Copies the shadow failed on (never seen by callers).'),
    failureRate: z.number().nullable(),
    rows: z.number().int().describe('Rows answered by both and compared.'),
    agreement: z
      .object({ labels: z.number().int(), rate: z.number(), disagreement: z.number() })
      .nullable()
      .describe('Labels compared (classification; integer, boolean and string outputs) and the share that agreed; null when none were.'),
    differences: z
      .object({ count: z.number().int(), mean: z.number(), meanAbsolute: z.number(), quantiles: list(z.object({ q: z.number(), value: z.number() })) })
      .nullable()
      .describe('Differences shadow − primary of values (regression, floating-point outputs, the probability of the primary label); null when none were compared.'),
    latencyMs: z.object({ primary: Percentiles, shadow: Percentiles }),
  }),
);
