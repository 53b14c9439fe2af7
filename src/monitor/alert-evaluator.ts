/**
 * Evaluates alert rules: measures each rule's value per model over its window, and moves the
 * rule's alert for that model between firing and resolved with hysteresis. An alert fires after
 * `fireAfter` evaluations in a row at or above the threshold and resolves after `resolveAfter` in
 * a row below the resolve threshold (default 90% of the threshold); a value in between changes
 * nothing. Too little evidence (fewer than `minRows`, no profile, no feedback) also changes
 * nothing, so a quiet night does not resolve an alert nor an empty minute raise one.
 *
 * Alert states live in the database; notifications go out only on a transition, so one firing
 * alert is one notification however long it lasts.
 */
import { type AlertRuleType } from '../core/alert-rule.js';
import { BerthError, Errors } from '../core/errors.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import type { AlertStateRecord, AlertStore, MonitorWindowStore } from '../store/index.js';
import { type AlertNotification, type AlertNotifier } from './alert-notifier.js';
import { type AlertRuleRecord, type AlertRuleStore } from './alert-rule-store.js';
import { type MonitorDriftReport, type MonitorReports, type PerformanceReport } from './monitor-reports.js';
import { type MonitorWindowData } from './monitor-window.js';
import { HIGHER_IS_BETTER } from './performance-report.js';
import { sketchQuantiles } from './sketch-quantile.js';
import { iso } from './window-store.js';

/** An alert as the API lists it. */
export interface AlertRecord {
  /** The rule's id. */
  readonly rule: string;
  readonly name: string;
  readonly type: AlertRuleType | string;
  readonly model: string;
  readonly version: string | null;
  readonly state: 'firing' | 'resolved';
  /** When it entered its state. */
  readonly since: string;
  /** The value at the last evaluation, and the threshold it was compared with. */
  readonly value: number | null;
  readonly threshold: number | null;
  readonly updated: string;
}

/** A change of an alert's state made by one evaluation. */
export interface AlertTransition {
  readonly rule: AlertRuleRecord;
  readonly notification: AlertNotification;
}

/** Options of {@link AlertEvaluator}. */
export interface AlertEvaluatorOptions {
  /** Where alert states are kept. */
  readonly alerts: AlertStore;
  /** Stored windows, for the models a rule on every model watches. */
  readonly windows: MonitorWindowStore;
  readonly reports: MonitorReports;
  readonly rules: AlertRuleStore;
  readonly notifier?: AlertNotifier | undefined;
  readonly now: () => number;
  /** Models with traffic this replica has not stored yet (for rules on every model). */
  readonly liveModels?: () => Iterable<string>;
  /** Told about a rule that could not be evaluated for a model (the others go on). */
  readonly onError?: (error: unknown, rule: AlertRuleRecord, model: string) => void;
}

interface Measurement {
  readonly value: number;
  readonly threshold: number;
  readonly version: string | null;
  readonly breach: boolean;
  readonly clear: boolean;
  /** What was measured, for the message: "drift share", "missing rate of age". */
  readonly what: string;
}

interface Streak {
  breaches: number;
  clears: number;
}

/** Evaluates the rules and keeps the alerts' states. */
export class AlertEvaluator {
  readonly #options: AlertEvaluatorOptions;
  readonly #streaks = new Map<string, Streak>();

  constructor(options: AlertEvaluatorOptions) {
    this.#options = options;
  }

  /** Evaluates every rule once for every model it watches; returns the transitions (already notified). */
  async evaluate(): Promise<AlertTransition[]> {
    const { alerts } = this.#options;
    const rules = await this.#options.rules.list();
    const stored = new Map((await alerts.listAlerts()).map((row) => [`${row.ruleId}\u0000${row.model}`, row]));
    // Alerts of rules that no longer exist (removed from the config file) go.
    const ruleIds = new Set(rules.map((r) => r.id));
    for (const row of stored.values()) {
      if (!ruleIds.has(row.ruleId)) await alerts.deleteAlertsOf(row.ruleId);
    }
    const cache = new Map<string, Promise<unknown>>();
    const transitions: AlertTransition[] = [];
    for (const rule of rules) {
      // One broken rule is reported on itself and never stops the rules after it.
      try {
        transitions.push(...(await this.#evaluateRule(rule, stored, cache)));
      } catch (error) {
        this.#options.onError?.(error, rule, rule.model ?? '*');
      }
    }
    return transitions;
  }

  async #evaluateRule(rule: AlertRuleRecord, stored: ReadonlyMap<string, AlertStateRecord>, cache: Map<string, Promise<unknown>>): Promise<AlertTransition[]> {
    const { alerts, now } = this.#options;
    const transitions: AlertTransition[] = [];
    const windowMs = parseDuration(rule.window);
    // Rules stored before windows were bounded may name one no evaluation can use.
    if (windowMs === undefined) throw Errors.MONITOR_RULE_INVALID.create(`window '${rule.window}' is not a duration from 1s to 366d; update or remove rule '${rule.id}'`);
    for (const model of await this.#modelsOf(rule, windowMs)) {
      const key = `${rule.id}\u0000${model}`;
      let measurement: Measurement | undefined;
      try {
        measurement = await this.#measure(rule, model, windowMs, cache);
      } catch (error) {
        this.#options.onError?.(error, rule, model);
        continue;
      }
      if (measurement === undefined) continue;
      const streak = this.#streaks.get(key) ?? { breaches: 0, clears: 0 };
      streak.breaches = measurement.breach ? streak.breaches + 1 : 0;
      streak.clears = measurement.clear ? streak.clears + 1 : 0;
      this.#streaks.set(key, streak);
      const row = stored.get(key);
      const firing = row?.state === 'firing';
      const at = iso(now());
      const values = { version: measurement.version, value: measurement.value, threshold: measurement.threshold, updatedAt: at };
      if (!firing && streak.breaches >= rule.fireAfter) {
        const details = JSON.stringify({ name: rule.name ?? rule.id, type: rule.type });
        await alerts.putAlert({ ruleId: rule.id, model, state: 'firing', since: at, details, ...values });
        transitions.push(this.#notify(rule, model, 'firing', at, measurement, windowMs));
      } else if (firing && streak.clears >= rule.resolveAfter) {
        await alerts.updateAlert(rule.id, model, values, { state: 'resolved', since: at });
        transitions.push(this.#notify(rule, model, 'resolved', at, measurement, windowMs));
      } else if (firing) {
        await alerts.updateAlert(rule.id, model, values);
      }
    }
    return transitions;
  }

  /** Alerts, firing first then newest; only those in `state` when given. */
  async list(state?: string): Promise<AlertRecord[]> {
    const rows = await this.#options.alerts.listAlerts(state);
    return rows
      .map((row): AlertRecord => {
        const details = JSON.parse(row.details) as { name?: string; type?: string };
        return {
          rule: row.ruleId,
          name: details.name ?? row.ruleId,
          type: details.type ?? 'unknown',
          model: row.model,
          version: row.version,
          state: row.state,
          since: row.since,
          value: row.value,
          threshold: row.threshold,
          updated: row.updatedAt,
        };
      })
      .sort((a, b) => Number(b.state === 'firing') - Number(a.state === 'firing') || (a.since < b.since ? 1 : a.since > b.since ? -1 : 0));
  }

  async #modelsOf(rule: AlertRuleRecord, windowMs: number): Promise<string[]> {
    if (rule.model !== undefined) return [rule.model];
    const now = this.#options.now();
    const models = new Set(await this.#options.windows.models(now - windowMs, now + 1));
    for (const model of this.#options.liveModels?.() ?? []) models.add(model);
    return [...models].sort();
  }

  /** The rule's value for a model, or undefined when there is too little to judge by. */
  async #measure(rule: AlertRuleRecord, model: string, windowMs: number, cache: Map<string, Promise<unknown>>): Promise<Measurement | undefined> {
    const reports = this.#options.reports;
    const from = `${windowMs}ms`;
    const once = <T>(kind: string, make: () => Promise<T>): Promise<T> => {
      const key = `${kind}\u0000${model}\u0000${windowMs}`;
      if (!cache.has(key)) cache.set(key, make());
      return cache.get(key) as Promise<T>;
    };
    const threshold = rule.threshold ?? 0;
    const resolveBelow = rule.resolveThreshold ?? threshold * 0.9;
    const compare = (value: number, what: string, version: string | null): Measurement => ({
      value,
      threshold,
      version,
      breach: value >= threshold,
      clear: value < resolveBelow,
      what,
    });
    switch (rule.type) {
      case 'drift_share':
      case 'feature_drift': {
        const report = await once('drift', () => reports.drift(model, { from }).catch(noProfile));
        if (report === undefined || report.rows < rule.minRows) return undefined;
        if (rule.type === 'drift_share') return compare(report.driftedShare, 'drifted share of features', report.version);
        const feature = report.features.find((f) => f.name === rule.feature);
        if (feature === undefined || feature.status !== 'ok') return undefined;
        const what = `${feature.method} drift of ${feature.name}`;
        if (rule.threshold !== undefined) return compare(feature.statistic, what, report.version);
        return { value: feature.statistic, threshold: feature.threshold, version: report.version, breach: feature.drifted, clear: !feature.drifted, what: `${what}${feature.pValue !== null ? ' (statistic; judged by its p-value)' : ''}` };
      }
      case 'missing_rate': {
        const window = await once('window', () => reports.window(model, { from }));
        if (window.rows < Math.max(1, rule.minRows)) return undefined;
        const rate = missingRate(window, rule.feature);
        return rate === undefined ? undefined : compare(rate.value, `missing rate of ${rate.feature}`, null);
      }
      case 'error_rate': {
        const window = await once('window', () => reports.window(model, { from }));
        if (window.requests < Math.max(1, rule.minRows)) return undefined;
        const failed = rule.errors === 'server' ? window.serverErrors : rule.errors === 'client' ? window.clientErrors : window.clientErrors + window.serverErrors;
        return compare(failed / window.requests, rule.errors === 'all' ? 'error rate' : `${rule.errors} error rate`, null);
      }
      case 'estimated_performance_drop': {
        const report = await once<PerformanceReport>('performance', () => reports.performance(model, { from, step: from }));
        const metric = rule.metric as 'accuracy' | 'rocAuc';
        const estimated = report.overall.estimated;
        const current = estimated?.[metric];
        const training = report.training[metric];
        if (estimated == null || estimated.rows < Math.max(1, rule.minRows) || typeof current !== 'number' || training === undefined) return undefined;
        return compare(training - current, `drop of estimated ${metric} from ${round(training)} at training to ${round(current)}`, report.version);
      }
      case 'outlier_share': {
        const window = await once('window', () => reports.window(model, { from }));
        const outliers = window.sketches.outliers;
        if (outliers === undefined || outliers.rows < Math.max(1, rule.minRows)) return undefined;
        return compare(outliers.outlierRows / outliers.rows, 'share of rows with a feature outside the reference', null);
      }
      case 'latency_p99': {
        const window = await once('window', () => reports.window(model, { from }));
        if (window.requests < Math.max(1, rule.minRows)) return undefined;
        const [p99] = sketchQuantiles(window.latency, [0.99]);
        return p99 === null || p99 === undefined ? undefined : compare(p99, 'latency p99 (ms)', null);
      }
      case 'performance_drop': {
        const report = await once<PerformanceReport>('performance', () => reports.performance(model, { from, step: from }));
        const metric = rule.metric!;
        const current = report.overall[metric];
        const training = report.training[metric];
        if (report.overall.rows < Math.max(1, rule.minRows) || typeof current !== 'number' || training === undefined) return undefined;
        const drop = HIGHER_IS_BETTER.has(metric) ? training - current : current - training;
        return compare(drop, `drop of ${metric} from ${round(training)} at training to ${round(current)}`, report.version);
      }
    }
  }

  #notify(rule: AlertRuleRecord, model: string, state: 'firing' | 'resolved', since: string, m: Measurement, windowMs: number): AlertTransition {
    const name = rule.name ?? rule.id;
    const message =
      state === 'firing'
        ? `${model}: ${m.what} is ${round(m.value)}, at or above ${round(m.threshold)} over the last ${formatDuration(windowMs)} (rule ${name})`
        : `${model}: ${m.what} is back to ${round(m.value)}, below the resolve threshold over the last ${formatDuration(windowMs)} (rule ${name})`;
    const notification: AlertNotification = {
      type: 'berth.alert',
      state,
      rule: { id: rule.id, name, type: rule.type, ...(rule.feature !== undefined ? { feature: rule.feature } : {}), ...(rule.metric !== undefined ? { metric: rule.metric } : {}) },
      model,
      version: m.version,
      value: m.value,
      threshold: m.threshold,
      since,
      message,
    };
    void this.#options.notifier?.notify(notification, rule);
    return { rule, notification };
  }
}

/** A version without a reference profile cannot drift; its drift rules wait (no alert, no error). */
function noProfile(error: unknown): MonitorDriftReport | undefined {
  if (error instanceof BerthError && (error.code === 'BERTH_MONITOR_PROFILE_MISSING' || error.code === 'BERTH_REGISTRY_MODEL_NOT_FOUND')) return undefined;
  throw error;
}

/** The missing rate of one feature, or of the feature missing most. */
function missingRate(window: MonitorWindowData, feature: string | undefined): { value: number; feature: string } | undefined {
  let worst: { value: number; feature: string } | undefined;
  for (const [name, sketch] of Object.entries(window.sketches.features)) {
    if (feature !== undefined && name !== feature) continue;
    if (sketch.count === 0) continue;
    const value = sketch.missing / sketch.count;
    if (worst === undefined || value > worst.value) worst = { value, feature: name };
  }
  return worst;
}

function round(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(3);
}
