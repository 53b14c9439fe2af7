/**
 * Request and response schemas of the monitoring routes (docs/api.md, "Monitoring"). The shapes
 * are the monitor's reports (monitor/monitor-reports.ts, monitor/drift-report.ts) on the wire.
 */
import { z } from 'zod';
import { ALERT_RULE_TYPES, AlertRuleSchema, PERFORMANCE_METRICS } from '../../core/alert-rule.js';
import { Errors } from '../../core/errors.js';
import { PAYLOAD_EXPORT_FORMATS } from '../../monitor/index.js';
import { refusedWith } from './api-contract.js';
import { CountPair, IsoTime, list, named } from './api-schemas.js';

const DriftMethod = z.enum(['ks', 'wasserstein', 'psi', 'jensenshannon', 'chisquare']);
const Pair = z.object({ reference: z.number(), current: z.number() });

/** Proportions of the reference and the current data per bin, for charts. */
export const FeatureBins = named(
  'FeatureBins',
  z.object({
    edges: list(z.number()).optional().describe('Edges of equal-width bins: bin i holds [edges[i], edges[i+1]).'),
    values: list(z.union([z.number(), z.string()])).optional().describe('The value (or category) of each bin, when each bin is one value.'),
    reference: list(z.number()),
    current: list(z.number()),
  }),
  'The two distributions compared, as proportions per bin. With `edges`, bins are ranges; with `values`, each bin is one value or category.',
);

/** One feature's (or output's) line of a drift report. */
export const FeatureDrift = named(
  'FeatureDrift',
  z.object({
    name: z.string(),
    kind: z.enum(['numeric', 'categorical']),
    method: DriftMethod,
    statistic: z.number(),
    pValue: z.number().nullable(),
    adjustedPValue: z.number().nullable(),
    effectSize: z.number().nullable(),
    threshold: z.number(),
    drifted: z.boolean(),
    status: z.enum(['ok', 'no-reference-data', 'no-current-data']),
    rows: Pair,
    missing: Pair,
    invalid: Pair,
    unseenCategories: z.object({ count: z.number(), categories: list(CountPair), unknown: z.number() }).optional(),
    bins: FeatureBins.optional(),
  }),
);

/** Rows whose features fall outside the reference profile (its 0.1–99.9% range, or categories it never held). */
export const OutlierSummary = named(
  'OutlierSummary',
  z.object({
    rows: z.number().int().describe('Rows scored (rows of windows recorded with the reference at hand).'),
    outlierRows: z.number().int().describe('Rows with at least one outlying feature.'),
    scoreSum: z.number().int().describe('Sum of the rows\' outlier scores (outlying features per row).'),
    share: z.number().nullable().describe('outlierRows / rows; null without rows.'),
    meanScore: z.number().nullable().describe('scoreSum / rows; null without rows.'),
    features: z.record(z.string(), z.number().int()).describe('Outlying values per feature.'),
  }),
);

/** A drift report with the model, version and range it covers. */
export const DriftReport = named(
  'DriftReport',
  z.object({
    model: z.string(),
    version: z.string(),
    from: IsoTime,
    to: IsoTime,
    rows: z.number().int(),
    rowsSampled: z.number().int().describe('Rows the sketches hold: rows, or fewer when large requests were sampled (at most 1,024 rows each).'),
    reference: z.object({ rows: z.number() }),
    features: list(FeatureDrift),
    predictionDrift: z.object({ features: list(FeatureDrift), driftedShare: z.number(), drifted: z.boolean() }).nullable(),
    driftedShare: z.number(),
    datasetDrift: z.boolean(),
    settings: z.object({
      correction: z.enum(['none', 'bonferroni', 'benjamini-hochberg']),
      datasetDriftShare: z.number(),
      thresholds: z.record(DriftMethod, z.number()),
      minEffect: z.object({ ks: z.number(), chisquare: z.number() }),
    }),
    warnings: list(z.string()),
    outliers: OutlierSummary,
  }),
);

/** One step of drift history. */
export const DriftHistoryPoint = named(
  'DriftHistoryPoint',
  z.object({
    from: IsoTime,
    to: IsoTime,
    rows: z.number().int(),
    driftedShare: z.number().nullable().describe('null when the step had no rows.'),
    datasetDrift: z.boolean(),
    features: z.record(z.string(), z.object({ statistic: z.number(), drifted: z.boolean() })),
    outlierShare: z.number().nullable().describe("Share of the step's scored rows with a feature outside the reference; null when none was scored."),
  }),
);

/** Drift per step. */
export const DriftHistory = named('DriftHistory', z.object({ model: z.string(), version: z.string(), points: list(DriftHistoryPoint) }));

/** One step of traffic. */
export const TrafficPoint = named(
  'TrafficPoint',
  z.object({
    from: IsoTime,
    to: IsoTime,
    requests: z.number().int(),
    rows: z.number().int(),
    errors: z.number().int().describe('Failed requests: clientErrors + serverErrors.'),
    clientErrors: z.number().int(),
    serverErrors: z.number().int(),
    latencyMs: z.object({ p50: z.number().nullable(), p99: z.number().nullable() }).describe('Latency percentiles, ms; null without requests.'),
  }),
);

/** Traffic per step. */
export const Traffic = named('Traffic', z.object({ model: z.string(), points: list(TrafficPoint) }));

const metricShape = Object.fromEntries(PERFORMANCE_METRICS.map((m) => [m, z.number().nullable().optional()])) as Record<
  (typeof PERFORMANCE_METRICS)[number],
  z.ZodOptional<z.ZodNullable<z.ZodNumber>>
>;

/** Metrics of one step (or the whole range) of performance. */
export const PerformancePoint = named(
  'PerformancePoint',
  z.object({
    from: IsoTime,
    to: IsoTime,
    rows: z.number().int(),
    ...metricShape,
    estimated: z
      .object({ rows: z.number().int(), accuracy: z.number().nullable(), rocAuc: z.number().nullable() })
      .nullable()
      .optional()
      .describe('Accuracy and ROC AUC estimated without labels (CBPE) from every row the version served in the step; null when the version cannot be estimated.'),
    estimateError: z
      .object({ accuracy: z.number().nullable(), rocAuc: z.number().nullable() })
      .nullable()
      .optional()
      .describe('Estimated minus realized, where both exist; null otherwise.'),
  }),
);

/** Performance from feedback over a range, beside the training metrics. */
export const PerformanceReport = named(
  'PerformanceReport',
  z.object({
    model: z.string(),
    version: z.string().nullable(),
    task: z.enum(['classification', 'regression']).nullable().describe('null until feedback or the pipeline says what the model predicts.'),
    training: z.object(Object.fromEntries(PERFORMANCE_METRICS.map((m) => [m, z.number().optional()])) as Record<(typeof PERFORMANCE_METRICS)[number], z.ZodOptional<z.ZodNumber>>),
    from: IsoTime,
    to: IsoTime,
    overall: PerformancePoint,
    points: list(PerformancePoint),
    unmatched: z.number().int().describe("Feedback in the range whose request id is not (yet) in the prediction log."),
    estimation: z
      .object({ method: z.literal('cbpe'), calibrationRows: z.number().int() })
      .nullable()
      .describe("How the estimated figures were made: confidence-based estimation with the reference profile's calibration of so many rows."),
    estimationUnavailable: z.string().nullable().describe('Why there are no estimated figures; null when there are.'),
  }),
);

/** One entry of the sampled request log. */
export const LoggedRequest = named(
  'LoggedRequest',
  z.object({ requestId: z.string(), at: IsoTime, version: z.string(), protocol: z.string(), inputs: z.unknown(), outputs: z.unknown() }),
);

const FeedbackValue = z.union([z.string(), z.number(), z.boolean()]);
const FeedbackItem = z.object({ requestId: z.string(), actual: z.union([FeedbackValue, list(FeedbackValue)]) });

/** Bounds of one feedback request: feedback is kept for months, so nothing in it may be large. */
export const FEEDBACK_LIMITS = { items: 10_000, values: 1_000_000, requestIdLength: 256, labelLength: 1024 } as const;

type FeedbackItemInput = z.output<typeof FeedbackItem>;

/** Ground truth for logged predictions: one item, a list, or `{"feedback": [...]}`, within FEEDBACK_LIMITS. */
export const FeedbackBody = refusedWith(
  z.union([FeedbackItem, list(FeedbackItem), z.object({ feedback: list(FeedbackItem) })]).superRefine((body, context) => {
    const items: readonly FeedbackItemInput[] = Array.isArray(body) ? body : 'feedback' in body ? body.feedback : [body as FeedbackItemInput];
    const at = Array.isArray(body) ? (i: number) => [i] : 'feedback' in body ? (i: number) => ['feedback', i] : () => [];
    if (items.length > FEEDBACK_LIMITS.items) {
      context.addIssue({ code: 'custom', message: `${items.length} items; send at most ${FEEDBACK_LIMITS.items} per request` });
      return;
    }
    let values = 0;
    for (let i = 0; i < items.length; i++) {
      const { requestId, actual } = items[i]!;
      if (requestId.length === 0 || requestId.length > FEEDBACK_LIMITS.requestIdLength) {
        context.addIssue({ code: 'custom', path: [...at(i), 'requestId'], message: `must be 1 to ${FEEDBACK_LIMITS.requestIdLength} characters, the x-request-id of the prediction` });
        return;
      }
      const list = Array.isArray(actual) ? actual : [actual];
      values += list.length;
      const long = list.findIndex((v) => typeof v === 'string' && v.length > FEEDBACK_LIMITS.labelLength);
      if (long !== -1) {
        context.addIssue({ code: 'custom', path: [...at(i), 'actual', ...(Array.isArray(actual) ? [long] : [])], message: `is longer than ${FEEDBACK_LIMITS.labelLength} characters; send the true label or value, not a document` });
        return;
      }
    }
    if (values > FEEDBACK_LIMITS.values) context.addIssue({ code: 'custom', message: `${values} values; send at most ${FEEDBACK_LIMITS.values} per request` });
  }),
  Errors.MONITOR_FEEDBACK_INVALID,
);

/** What happened to a batch of feedback. */
export const FeedbackResult = named(
  'FeedbackResult',
  z.object({
    accepted: z.number().int(),
    unknown: list(z.string()).describe('Request ids not (yet) in the prediction log; kept and joined if the prediction turns up.'),
    rejected: list(z.object({ requestId: z.string(), reason: z.string() })),
  }),
);

/** An alert rule as written in a request. */
export const AlertRuleBody = refusedWith(AlertRuleSchema, Errors.MONITOR_RULE_INVALID);

/** An alert rule with its id and where it came from. */
export const AlertRuleRecord = named(
  'AlertRuleRecord',
  z.object({
    id: z.string(),
    name: z.string().optional(),
    model: z.string().optional(),
    type: z.enum(ALERT_RULE_TYPES),
    feature: z.string().optional(),
    metric: z.enum(PERFORMANCE_METRICS).optional(),
    threshold: z.number().optional(),
    resolveThreshold: z.number().optional(),
    window: z.string(),
    fireAfter: z.number().int(),
    resolveAfter: z.number().int(),
    minRows: z.number().int(),
    webhooks: list(z.string()).optional(),
    source: z.enum(['config', 'api']),
    created: IsoTime.optional().describe('When it was added through the API.'),
  }),
);

/** An alert. */
export const AlertRecord = named(
  'AlertRecord',
  z.object({
    rule: z.string().describe("The rule's id."),
    name: z.string(),
    type: z.string(),
    model: z.string(),
    version: z.string().nullable(),
    state: z.enum(['firing', 'resolved']),
    since: IsoTime.describe('When it entered its state.'),
    value: z.number().nullable().describe('The value at the last evaluation.'),
    threshold: z.number().nullable(),
    updated: IsoTime,
  }),
);

const from = z.string().optional().describe('ISO 8601 time, or a duration ago such as 1h, 30m, 7d (default: 24h before to)');
const to = z.string().optional().describe('ISO 8601 time, or a duration ago (default: now)');
const version = z.string().optional().describe('one version (default: the one that served the range)');

/** The query of a report over a range. */
export const RangeQuery = z.object({ from, to, version });

/** The query of a drift report. */
export const DriftQuery = RangeQuery.extend({
  method: z.string().optional().describe('ks, wasserstein, psi, jensenshannon or chisquare for every feature it applies to'),
  columns: z.string().optional().describe('features to compare, comma-separated (outputs are always compared)'),
  exclude: z.string().optional().describe('features to leave out, comma-separated'),
});

/** The query of a report per step. */
export const SteppedQuery = RangeQuery.extend({
  step: z.string().optional().describe('duration of one point, e.g. 5m, 1h (default: about 24 points)'),
});

/** What the models list shows of a model's monitoring (`GET /api/models?summary=true`). */
export const ModelMonitorSummary = named(
  'ModelMonitorSummary',
  z.object({
    traffic: z
      .object({ from: IsoTime, to: IsoTime, requests: z.number().int(), errors: z.number().int(), requestsPerSecond: z.number() })
      .describe('Requests over the last five minutes.'),
    drift: z
      .object({
        from: IsoTime,
        to: IsoTime,
        version: z.string(),
        rows: z.number().int(),
        driftedShare: z.number(),
        datasetDrift: z.boolean(),
        driftedFeatures: list(z.string()),
      })
      .nullable()
      .describe('The drift report of the last 24 hours in brief; null when there is none.'),
    driftUnavailable: z.string().nullable().describe('Why there is no drift report (a version without a reference profile, say).'),
  }),
);

/** The query of a payload export (`GET /api/models/{name}/payloads`); times and limit are checked by the monitor. */
export const PayloadExportParams = z.object({
  since: z.string().optional().describe('ISO 8601 time or a duration ago such as 1h or 7d (default 7d)'),
  until: z.string().optional().describe('ISO 8601 time or a duration ago (default now)'),
  labelled: z.enum(['true', 'false', '1', '0', '']).optional().describe('true: only rows whose truth came as feedback'),
  limit: z.string().optional().describe('at most this many rows (default all)'),
  format: z.enum(PAYLOAD_EXPORT_FORMATS).optional().describe('csv (default) or jsonl; without it, the Accept header chooses (text/csv, application/x-ndjson)'),
});
