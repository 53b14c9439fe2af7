/**
 * Alert rules: what the monitor watches and when it raises an alert. One schema serves the config
 * file (`monitor.rules`) and the management API (`POST /api/alerts/rules`), so a rule means the
 * same thing wherever it was written.
 *
 * Every rule measures a value where higher is worse (a drifted share, a missing rate, an error
 * rate, a latency, a drop in a metric against training) and compares it with `threshold`. An
 * alert fires after `fireAfter` evaluations in a row at or above the threshold and resolves after
 * `resolveAfter` evaluations in a row below `resolveThreshold` (default 90% of the threshold): the
 * gap between the two is the hysteresis that keeps a value hovering at the threshold from sending
 * a storm of notifications.
 *
 * @example
 *   { "id": "loans-drift", "model": "loans", "type": "drift_share", "threshold": 0.3, "window": "1h" }
 *   { "type": "feature_drift", "model": "loans", "feature": "credit_score" }
 *   { "type": "performance_drop", "model": "loans", "metric": "accuracy", "threshold": 0.05 }
 *   { "type": "outlier_share", "model": "loans", "threshold": 0.05, "window": "15m" }
 *   { "type": "estimated_performance_drop", "model": "loans", "metric": "accuracy", "threshold": 0.05 }
 */
import { z } from 'zod';
import { parseDuration } from './duration.js';

/** An alert rule looks back at least a second and at most a year. */
const MIN_RULE_WINDOW_MS = 1000;
const MAX_RULE_WINDOW_MS = 366 * 86_400_000;

/** What a rule measures. */
export const ALERT_RULE_TYPES = ['drift_share', 'feature_drift', 'missing_rate', 'error_rate', 'latency_p99', 'performance_drop', 'outlier_share', 'estimated_performance_drop'] as const;

/** What a rule measures. */
export type AlertRuleType = (typeof ALERT_RULE_TYPES)[number];

/** Metrics a performance rule can watch: classification (accuracy, f1, rocAuc) or regression (rmse, mae, r2). */
export const PERFORMANCE_METRICS = ['accuracy', 'f1', 'rocAuc', 'rmse', 'mae', 'r2'] as const;

/** A metric a performance rule can watch. */
export type PerformanceMetric = (typeof PERFORMANCE_METRICS)[number];

/** Rule ids: short, URL-safe. */
export const ALERT_RULE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Schema of an alert rule, with defaults filled in. */
export const AlertRuleSchema = z
  .object({
    /** Stable id; rules from the API get one generated when absent. */
    id: z.string().regex(ALERT_RULE_ID, "must be letters, digits, '.', '_' or '-' (at most 64)").optional(),
    /** A readable name for notifications; default the id. */
    name: z.string().min(1).max(200).optional(),
    /** The model watched; absent: every model with traffic. */
    model: z.string().min(1).max(128).optional(),
    type: z.enum(ALERT_RULE_TYPES),
    /** feature_drift: the feature (required); missing_rate: one feature (absent: the worst feature). */
    feature: z.string().min(1).optional(),
    /**
     * performance_drop: the metric whose drop below its training value is watched;
     * estimated_performance_drop: the same for a metric estimated without labels (accuracy or rocAuc).
     */
    metric: z.enum(PERFORMANCE_METRICS).optional(),
    /**
     * The value at or above which the rule breaches: a share (drift_share; outlier_share, the share
     * of rows with a feature outside the reference profile), a statistic
     * (feature_drift; absent: the drift report's own verdict), a rate in [0, 1] (missing_rate,
     * error_rate), milliseconds (latency_p99), or an absolute drop of the metric (performance_drop).
     */
    threshold: z.number().refine(Number.isFinite, 'must be a finite number').optional(),
    /** Below this the alert may resolve; default 90% of the threshold. */
    resolveThreshold: z.number().refine(Number.isFinite, 'must be a finite number').optional(),
    /** How far back each evaluation looks, e.g. `15m`, `1h` (default `1h`). */
    window: z
      .string()
      .refine((w) => {
        const ms = parseDuration(w);
        return ms !== undefined && ms >= MIN_RULE_WINDOW_MS && ms <= MAX_RULE_WINDOW_MS;
      }, 'must be a duration from 1s to 366d, such as 15m, 1h or 1d')
      .default('1h'),
    /** Evaluations in a row at or above the threshold before the alert fires. */
    fireAfter: z.number().int().min(1).max(100).default(1),
    /** Evaluations in a row below the resolve threshold before a firing alert resolves. */
    resolveAfter: z.number().int().min(1).max(100).default(2),
    /** Least evidence to judge: rows (drift, missing, outliers), requests (error rate, latency), rows with feedback (performance) or rows estimated (estimated performance). */
    minRows: z.number().int().min(0).default(100),
    /**
     * error_rate: which failures count. `server` (the default) counts only the server's own
     * failures (5xx), so callers sending bad requests cannot fire the alert; `client` counts 4xx
     * answers (callers in trouble); `all` both.
     */
    errors: z.enum(['server', 'client', 'all']).default('server'),
    /** Webhooks notified of this rule's alerts, besides `monitor.webhooks`. */
    webhooks: z.array(z.url({ protocol: /^https?$/ })).max(16).optional(),
  })
  .strict()
  .superRefine((rule, context) => {
    const problem = (path: string, message: string) => context.addIssue({ code: 'custom', path: [path], message });
    if (rule.type === 'feature_drift' && rule.feature === undefined) problem('feature', 'feature_drift rules need the feature to watch');
    if (rule.type === 'performance_drop' && rule.metric === undefined) problem('metric', `performance_drop rules need a metric (${PERFORMANCE_METRICS.join(', ')})`);
    if (rule.type === 'estimated_performance_drop' && rule.metric !== 'accuracy' && rule.metric !== 'rocAuc') {
      problem('metric', 'estimated_performance_drop rules need a metric estimated without labels: accuracy or rocAuc');
    }
    if (rule.type !== 'feature_drift' && rule.threshold === undefined) problem('threshold', `${rule.type} rules need a threshold`);
    if ((rule.type === 'missing_rate' || rule.type === 'error_rate' || rule.type === 'drift_share' || rule.type === 'outlier_share') && rule.threshold !== undefined && !(rule.threshold > 0 && rule.threshold <= 1)) {
      problem('threshold', `${rule.type} is a share: use a number in (0, 1]`);
    }
    if (rule.resolveThreshold !== undefined && rule.threshold !== undefined && rule.resolveThreshold > rule.threshold) {
      problem('resolveThreshold', 'must not be above the threshold (higher values are worse)');
    }
  });

/** An alert rule as validated, defaults filled. */
export type AlertRule = z.output<typeof AlertRuleSchema>;
/** An alert rule as written (defaults may be left out). */
export type AlertRuleInput = z.input<typeof AlertRuleSchema>;
