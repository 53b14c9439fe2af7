/**
 * The `monitor` section of the configuration: how predictions are summarised (window length,
 * sketch sizes), what is logged and for how long, how drift is judged, and the alert rules and
 * webhooks. Kept flat where a `BERTH_MONITOR_*` variable sets it.
 *
 * @example
 *   { "monitor": { "windowMs": 60000, "sampleRate": 0.05, "webhooks": ["https://hooks.example/berth"],
 *                  "rules": [{ "id": "drift", "model": "loans", "type": "drift_share", "threshold": 0.3 }] } }
 */
import { z } from 'zod';
import { AlertRuleSchema } from './alert-rule.js';

const days = z.number().positive().max(3650);
/** A comma-separated string (as an environment variable carries it) becomes a list. */
const urlList = z.preprocess(
  (value) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter((s) => s !== '') : value),
  z.array(z.url({ protocol: /^https?$/ })).max(16),
);

/** What the payload log keeps of a request: its inputs (features) and its outputs, as named columns. */
export const PAYLOAD_FIELDS = ['inputs', 'outputs'] as const;

const payloadFields = z.array(z.enum(PAYLOAD_FIELDS)).min(1).max(PAYLOAD_FIELDS.length);
const payloadRate = z.number().min(0).max(1);

/** Schema of `monitor.payloads`: the defaults, and per-model settings that override them. */
export const PayloadsSchema = z
  .object({
    /** Share of requests logged, 0 (off, the default) to 1 (every request); BERTH_MONITOR_PAYLOAD_RATE, `berth serve --payloads`. */
    rate: payloadRate.default(0),
    /** Days payload segments are kept. */
    retentionDays: days.default(30),
    /** What is kept of each logged request. */
    fields: payloadFields.default(['inputs', 'outputs']),
    /**
     * Also send each logged payload as a CloudEvent to this HTTP sink (KServe's logger does the
     * same): batched, retried with backoff, bounded; a sink that is down never slows answers.
     */
    sink: z
      .object({
        url: z.url({ protocol: /^https?$/ }),
        /** Most events per POST, an event counting one per 64 rows. */
        batchSize: z.number().int().min(1).max(10_000).default(100),
        /** How often waiting events are sent, ms. */
        flushMs: z.number().int().min(10).max(600_000).default(1000),
        /** Most events waiting, an event counting one per 64 rows; past it new ones are dropped and counted. */
        maxQueue: z.number().int().min(1).max(10_000_000).default(10_000),
        /** Tries per batch before it is given up (exponential backoff between). */
        attempts: z.number().int().min(1).max(20).default(5),
        /** Longest one POST may take, ms; for a body of 1 MiB or more (sent as it is printed), longest it may go without sending a chunk. */
        timeoutMs: z.number().int().min(100).max(600_000).default(5000),
      })
      .strict()
      .optional(),
    /** Per model, by name: its own rate, retention or fields. */
    models: z
      .record(z.string().min(1), z.object({ rate: payloadRate.optional(), retentionDays: days.optional(), fields: payloadFields.optional() }).strict())
      .default({}),
  })
  .strict();

/** The validated `monitor.payloads`, read-only. */
export interface PayloadsConfig {
  readonly rate: number;
  readonly retentionDays: number;
  readonly fields: readonly (typeof PAYLOAD_FIELDS)[number][];
  readonly models: { readonly [model: string]: Partial<ModelPayloadSettings> };
  readonly sink?: { readonly url: string; readonly batchSize: number; readonly flushMs: number; readonly maxQueue: number; readonly attempts: number; readonly timeoutMs: number } | undefined;
}

/** The payload log settings of one model: the defaults with its own overrides. */
export interface ModelPayloadSettings {
  readonly rate: number;
  readonly retentionDays: number;
  readonly fields: readonly (typeof PAYLOAD_FIELDS)[number][];
}

/** The payload log settings of `model` under `payloads` (the validated `monitor.payloads`). */
export function payloadSettingsOf(payloads: PayloadsConfig, model: string): ModelPayloadSettings {
  const own = payloads.models[model];
  return { rate: own?.rate ?? payloads.rate, retentionDays: own?.retentionDays ?? payloads.retentionDays, fields: own?.fields ?? payloads.fields };
}

/** Schema of `monitor`, with defaults. */
export const MonitorConfigSchema = z
  .object({
    /** Record predictions at all; off, the server keeps no windows, logs or alerts. */
    enabled: z.boolean().default(true),
    /** Length of a window of sketches, in ms (1 minute by default); windows are flushed when they close. */
    windowMs: z.number().int().min(1000).max(86_400_000).default(60_000),
    /** The time range the Prometheus drift gauges judge, ending now, in ms (an hour by default). */
    gaugeRangeMs: z.number().int().min(60_000).max(30 * 86_400_000).default(3_600_000),
    /** How often closed windows, the prediction log and samples are written, in ms. */
    flushIntervalMs: z.number().int().min(50).max(600_000).default(2000),
    /**
     * How often what the open windows hold so far is written too, in ms (merged into the stored
     * window): the most monitoring a crash (`kill -9`) can lose, plus one flushIntervalMs.
     */
    openWindowFlushMs: z.number().int().min(1000).max(86_400_000).default(10_000),
    /** This replica's name in stored windows; default host, process id and a random suffix. */
    replicaId: z.string().min(1).max(128).optional(),
    /** Most features plus outputs sketched per model version (OIP tensors can have thousands of columns). */
    maxColumns: z.number().int().min(1).max(10_000).default(256),
    /** Quantile sketch accuracy k of live windows (rank error about 1/k). */
    sketchK: z.number().int().min(8).max(65_536).default(400),
    /** Most categories kept per categorical sketch. */
    maxCategories: z.number().int().min(1).max(1_000_000).default(256),
    /** Log every prediction's outputs with its request id, so that feedback can join ground truth. */
    predictionLog: z.boolean().default(true),
    /** Days prediction-log entries (and feedback) are kept. */
    logRetentionDays: days.default(30),
    /**
     * Longest a segment of the prediction log or the payload log stays open in memory, in ms: the
     * most of those logs a crash (`kill -9`) can lose, plus one flushIntervalMs. Longer makes fewer,
     * larger segments, which compress better.
     */
    segmentSealMs: z.number().int().min(1000).max(3_600_000).default(10_000),
    /** Most requests in one log segment. */
    segmentMaxEntries: z.number().int().min(16).max(1_000_000).default(65_536),
    /** Most log entries waiting in memory per log (predictions, payloads), an entry counting one per 64 rows; past it entries are dropped and counted in /metrics. */
    logMaxPending: z.number().int().min(1000).max(10_000_000).default(200_000),
    /** The payload log: the inputs and outputs of a share of requests, per model, as segments in the blob store (off by default). */
    payloads: PayloadsSchema.prefault({}),
    /** Share of requests whose raw inputs and outputs are kept in the sampled log. */
    sampleRate: z.number().min(0).max(1).default(0.01),
    /** Most samples kept per model per minute, whatever the rate. */
    sampleMaxPerMinute: z.number().int().min(0).max(1_000_000).default(60),
    /** Largest sample stored, in bytes of JSON; larger ones are stored truncated. */
    sampleMaxBytes: z.number().int().min(256).max(64 * 1024 * 1024).default(64 * 1024),
    /** Days samples are kept. */
    sampleRetentionDays: days.default(7),
    /** Days windows (and alert history) are kept. */
    windowRetentionDays: days.default(90),
    /** How often alert rules are evaluated, in ms. */
    alertIntervalMs: z.number().int().min(100).max(86_400_000).default(60_000),
    /** Webhooks notified of every alert (JSON POST); rules may name more. */
    webhooks: urlList.default([]),
    /**
     * Hosts, addresses and CIDR ranges (`10.0.0.0/8`) that webhooks may reach although they are
     * loopback, private or link-local; every other such address is refused (see monitor/webhook-guard.ts).
     */
    webhookAllowPrivate: z.array(z.string().trim().min(1)).max(256).default([]),
    /** Attempts per webhook notification before it is given up (retried with exponential backoff). */
    webhookAttempts: z.number().int().min(1).max(20).default(5),
    /** How drift is judged in reports and alerts. */
    drift: z
      .object({
        /** One method for every feature it applies to (default: Evidently's choice per feature). */
        method: z.enum(['ks', 'wasserstein', 'psi', 'jensenshannon', 'chisquare']).optional(),
        correction: z.enum(['benjamini-hochberg', 'bonferroni', 'none']).default('benjamini-hochberg'),
        /** The dataset drifts when at least this share of features drifts. */
        datasetDriftShare: z.number().gt(0).max(1).default(0.5),
      })
      .strict()
      .prefault({}),
    /** Alert rules from the config file (more can be added through the API). */
    rules: z.array(AlertRuleSchema).default([]),
  })
  .strict();

/** The validated `monitor` section. */
export type MonitorConfig = z.output<typeof MonitorConfigSchema>;
