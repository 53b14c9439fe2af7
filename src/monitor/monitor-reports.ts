/**
 * The monitor's reports over a time range, from the windows every replica stored plus (in a
 * server) this replica's windows still in memory: the drift report against the version's
 * reference profile, drift history and traffic per step, performance from feedback, and the
 * sampled request log. Used by the HTTP routes and, over the database alone, by `berth monitor`.
 */
import { type PerformanceMetric } from '../core/alert-rule.js';
import { Errors } from '../core/errors.js';
import { parseVersionNumber } from '../core/model-ref.js';
import type { MonitorStores, WindowRole } from '../store/index.js';
import { driftReport, type DriftReport, type DriftReportOptions } from './drift-report.js';
import { readJoinedFeedback } from './feedback.js';
import { type FeatureKind } from './feature-spec.js';
import { type MonitorWindowData, MonitorWindowMerger, TrafficTotals, type WindowTraffic } from './monitor-window.js';
import { outlierSummary, type OutlierSummary } from './outlier-counts.js';
import { type EstimatedPerformance, estimatePerformance } from './estimated-performance.js';
import { mergeScoreHistograms, type ScoreHistogramsData } from './score-histograms.js';
import { performanceOf, performanceTask, type PerformanceTask, trainingMetrics } from './performance-report.js';
import { type Profile } from './profile.js';
import { type ReferenceSource, type VersionReference } from './reference-source.js';
import { sketchQuantiles } from './sketch-quantile.js';
import { parseStep, parseTimeRange, steps, type TimeRange } from './time-range.js';
import { forEachWindow, iso, readWindowCounts } from './window-store.js';

/** A window held in memory by this replica (not yet stored). */
export interface LiveWindowSnapshot {
  readonly version: string;
  /** Window start, epoch ms. */
  readonly start: number;
  readonly data: MonitorWindowData;
}

/** This replica's windows in memory, for reports to include. */
export interface LiveWindows {
  /** Copies of the model's windows of `role` (default served) in memory whose start is in [from, to). */
  snapshot(model: string, from: number, to: number, role?: WindowRole): LiveWindowSnapshot[];
}

/** Query parameters of a report, as they come from the API or the CLI (strings, or absent). */
export interface ReportQuery {
  readonly from?: unknown;
  readonly to?: unknown;
  readonly step?: unknown;
  readonly version?: unknown;
  readonly method?: unknown;
  /** Features to compare, comma-separated (outputs always are). */
  readonly columns?: unknown;
  /** Features to leave out, comma-separated. */
  readonly exclude?: unknown;
  /**
   * `shadow`: a shadow's copies instead of the traffic answered (default `served`). Set by callers
   * in this process (a deployment's figures), never taken from a request's query.
   */
  readonly role?: WindowRole | undefined;
}

/** Options of {@link MonitorReports}. */
export interface MonitorReportsOptions {
  /** The stored windows, feedback and sampled request log. */
  readonly stores: Pick<MonitorStores, 'windows' | 'feedback' | 'samples'>;
  readonly references: ReferenceSource;
  /** Window length, ms: ranges start on window boundaries. */
  readonly windowMs: number;
  /** Drift settings (method, correction, dataset drift share) for every report. */
  readonly drift?: DriftReportOptions;
  readonly live?: LiveWindows;
  readonly now?: () => number;
  /**
   * Runs a read of stored and in-memory windows so that no flush moves a window from memory to
   * the database in the middle of it (it would be counted twice or not at all).
   */
  readonly consistentRead?: <T>(read: () => Promise<T>) => Promise<T>;
}

/** A drift report with the model, version and range it covers. */
export interface MonitorDriftReport extends DriftReport {
  readonly model: string;
  readonly version: string;
  readonly from: string;
  readonly to: string;
  /** Columns left out because their kind in the windows differs from the profile's. */
  readonly warnings: readonly string[];
  /** Rows whose features fall outside the reference (its 0.1–99.9% range, or unseen categories). */
  readonly outliers: OutlierSummary;
}

/** One step of drift history. */
export interface DriftHistoryPoint {
  readonly from: string;
  readonly to: string;
  readonly rows: number;
  /** null when the step had no rows. */
  readonly driftedShare: number | null;
  readonly datasetDrift: boolean;
  readonly features: Readonly<Record<string, { readonly statistic: number; readonly drifted: boolean }>>;
  /** Share of the step's scored rows with an outlying feature; null when none was scored. */
  readonly outlierShare: number | null;
}

/** One step of traffic. */
export interface TrafficPoint {
  readonly from: string;
  readonly to: string;
  readonly requests: number;
  readonly rows: number;
  /** Failed requests: clientErrors + serverErrors. */
  readonly errors: number;
  readonly clientErrors: number;
  readonly serverErrors: number;
  /** Latency percentiles, ms; null without requests. */
  readonly latencyMs: { readonly p50: number | null; readonly p99: number | null };
}

/** Metrics of one step (or the whole range) of performance. */
export type PerformancePoint = { readonly from: string; readonly to: string; readonly rows: number } & Partial<Record<PerformanceMetric, number | null>> & {
  /** Accuracy and ROC AUC estimated without labels from every row served (CBPE); null when the version cannot be estimated. */
  readonly estimated?: EstimatedPerformance | null;
  /** Estimated minus realized, where both exist (realized needs feedback); null otherwise. */
  readonly estimateError?: { readonly accuracy: number | null; readonly rocAuc: number | null } | null;
};

/** Performance from feedback over a range. */
export interface PerformanceReport {
  readonly model: string;
  /** The version whose training metrics are shown (the version asked for, else the one most feedback is about). */
  readonly version: string | null;
  readonly task: PerformanceTask | null;
  readonly training: Partial<Record<PerformanceMetric, number>>;
  readonly from: string;
  readonly to: string;
  readonly overall: PerformancePoint;
  readonly points: readonly PerformancePoint[];
  /** Feedback received in the range whose request id is not (yet) in the prediction log. */
  readonly unmatched: number;
  /** How `estimated` figures were made: CBPE with the reference calibration of so many rows; null when they are not. */
  readonly estimation: { readonly method: 'cbpe'; readonly calibrationRows: number } | null;
  /** Why there are no estimated figures; null when there are. */
  readonly estimationUnavailable: string | null;
}

/** One entry of the sampled request log. */
export interface LoggedRequest {
  readonly requestId: string;
  readonly at: string;
  readonly version: string;
  readonly protocol: string;
  readonly inputs: unknown;
  readonly outputs: unknown;
}

/** Most entries of the sampled log one call answers. */
export const MAX_LOGGED_REQUESTS = 1000;

/** The reports. */
export class MonitorReports {
  readonly #stores: MonitorReportsOptions['stores'];
  readonly #references: ReferenceSource;
  readonly #windowMs: number;
  readonly #drift: DriftReportOptions;
  readonly #live: LiveWindows | undefined;
  readonly #now: () => number;
  readonly #read: <T>(read: () => Promise<T>) => Promise<T>;

  constructor(options: MonitorReportsOptions) {
    this.#stores = options.stores;
    this.#references = options.references;
    this.#windowMs = options.windowMs;
    this.#drift = options.drift ?? {};
    this.#live = options.live;
    this.#now = options.now ?? Date.now;
    this.#read = options.consistentRead ?? ((read) => read());
  }

  /**
   * The drift report of a model over a range (default the last 24 hours) against the reference
   * profile of the version (`version`, else the one that served the range). Throws
   * BERTH_MONITOR_PROFILE_MISSING when the version has no profile.
   */
  async drift(model: string, query: ReportQuery = {}): Promise<MonitorDriftReport> {
    const range = parseTimeRange(query, this.#now(), this.#windowMs);
    const { version, profile } = await this.#profiled(model, query.version, range);
    const merger = new MonitorWindowMerger(kindsOf(profile));
    await this.#collect(model, version, range, () => merger, query.role);
    const merged = merger.result();
    const report = driftReport(profile, merged.sketches, { ...this.#driftOptions(query.method), ...columnOptions(query) });
    return { model, version, from: iso(range.from), to: iso(range.to), ...report, warnings: conflictWarnings(merger.conflicts), outliers: outlierSummary(merged.sketches.outliers) };
  }

  /** Drift per step over a range: rows, drifted share and each feature's statistic. */
  async driftHistory(model: string, query: ReportQuery = {}): Promise<{ readonly model: string; readonly version: string; readonly points: readonly DriftHistoryPoint[] }> {
    const range = parseTimeRange(query, this.#now(), this.#windowMs);
    const step = parseStep(query.step, range, this.#windowMs);
    const { version, profile } = await this.#profiled(model, query.version, range);
    const kinds = kindsOf(profile);
    const buckets = steps(range, step);
    const mergers = buckets.map(() => new MonitorWindowMerger(kinds));
    await this.#collect(model, version, range, (start) => mergers[Math.floor((start - range.from) / step)], query.role);
    const options = this.#driftOptions(query.method);
    const points = buckets.map((bucket, i): DriftHistoryPoint => {
      const merged = mergers[i]!.result();
      const base = { from: iso(bucket.from), to: iso(bucket.to), rows: merged.rows, outlierShare: outlierSummary(merged.sketches.outliers).share };
      if (merged.rows === 0) return { ...base, driftedShare: null, datasetDrift: false, features: {} };
      const report = driftReport(profile, merged.sketches, options);
      const features = Object.fromEntries(report.features.filter((f) => f.status === 'ok').map((f) => [f.name, { statistic: f.statistic, drifted: f.drifted }]));
      return { ...base, driftedShare: report.driftedShare, datasetDrift: report.datasetDrift, features };
    });
    return { model, version, points };
  }

  /** Requests, rows, errors and latency percentiles per step (every version, or `version`). */
  async traffic(model: string, query: ReportQuery = {}): Promise<{ readonly model: string; readonly points: readonly TrafficPoint[] }> {
    const range = parseTimeRange(query, this.#now(), this.#windowMs);
    const step = parseStep(query.step, range, this.#windowMs);
    const version = versionParameter(query.version);
    const buckets = steps(range, step).map(() => new TrafficTotals());
    const add = (start: number, w: WindowTraffic) => buckets[Math.floor((start - range.from) / step)]?.add(w);
    await this.#read(async () => {
      for (const w of await readWindowCounts(this.#stores.windows, { model, version, role: query.role, ...range })) add(w.start, w);
      for (const w of this.#live?.snapshot(model, range.from, range.to, query.role) ?? []) if (version === undefined || w.version === version) add(w.start, w.data);
    });
    const points = steps(range, step).map((bucket, i): TrafficPoint => {
      const b = buckets[i]!;
      const [p50, p99] = b.latency === undefined ? [null, null] : sketchQuantiles(b.latency.toJSON(), [0.5, 0.99]);
      return {
        from: iso(bucket.from),
        to: iso(bucket.to),
        requests: b.requests,
        rows: b.rows,
        errors: b.clientErrors + b.serverErrors,
        clientErrors: b.clientErrors,
        serverErrors: b.serverErrors,
        latencyMs: { p50: p50 ?? null, p99: p99 ?? null },
      };
    });
    return { model, points };
  }

  /** Every window of a range merged into one (every version, or `version`): counts, latencies, sketches. */
  async window(model: string, query: ReportQuery = {}): Promise<MonitorWindowData> {
    const range = parseTimeRange(query, this.#now(), this.#windowMs);
    const merger = new MonitorWindowMerger();
    await this.#collect(model, versionParameter(query.version), range, () => merger, query.role);
    return merger.result();
  }

  /** Performance from feedback per step and over the range, beside the training metrics. */
  async performance(model: string, query: ReportQuery = {}): Promise<PerformanceReport> {
    const range = parseTimeRange(query, this.#now(), this.#windowMs);
    const step = parseStep(query.step, range, this.#windowMs);
    const asked = versionParameter(query.version);
    const items = await readJoinedFeedback(this.#stores.feedback, model, range.from, range.to, asked);
    const version = asked ?? mostCommon(items.map((i) => i.version)) ?? (await this.#references.defaultVersion(model)) ?? null;
    const reference = version === null ? undefined : await this.#references.version(model, version);
    const task = performanceTask(reference?.pipeline, items);
    const pointOf = (bucket: TimeRange, selected: typeof items): PerformancePoint => {
      const base = { from: iso(bucket.from), to: iso(bucket.to) };
      if (task === null) return { ...base, rows: selected.reduce((sum, i) => sum + i.rows, 0) };
      return { ...base, ...performanceOf(selected, task, reference?.pipeline) };
    };
    const buckets = steps(range, step);
    const byBucket = buckets.map(() => [] as typeof items);
    for (const item of items) byBucket[Math.floor((item.predictedAt - range.from) / step)]?.push(item);
    const calibration = reference?.profile?.calibration;
    const estimationUnavailable =
      version === null
        ? 'no version to estimate'
        : task === 'regression'
          ? 'performance is estimated for classifiers only'
          : calibration === undefined
            ? `version ${version} has no calibration in its reference profile: train it with berth train, or package it with --reference data.csv holding the target column`
            : null;
    let estimated: { overall: EstimatedPerformance; points: EstimatedPerformance[] } | undefined;
    if (estimationUnavailable === null && calibration !== undefined && version !== null) {
      const histograms = buckets.map(() => [] as ScoreHistogramsData[]);
      await this.#visit(model, version, range, (start, data) => {
        if (data.sketches.scores !== undefined) histograms[Math.floor((start - range.from) / step)]?.push(data.sketches.scores);
      });
      const merged = histograms.map((h) => mergeScoreHistograms(h));
      estimated = {
        overall: estimatePerformance(mergeScoreHistograms(merged), calibration),
        points: merged.map((h) => estimatePerformance(h, calibration)),
      };
    }
    const withEstimate = (point: PerformancePoint, estimate: EstimatedPerformance | undefined): PerformancePoint => {
      if (estimate === undefined) return { ...point, estimated: null, estimateError: null };
      const difference = (a: number | null | undefined, b: number | null) => (typeof a === 'number' && b !== null ? b - a : null);
      const estimateError = point.rows > 0 && estimate.rows > 0 ? { accuracy: difference(point.accuracy, estimate.accuracy), rocAuc: difference(point.rocAuc, estimate.rocAuc) } : null;
      return { ...point, estimated: estimate, estimateError };
    };
    return {
      model,
      version,
      task,
      training: trainingMetrics(reference?.metrics ?? {}, task),
      from: iso(range.from),
      to: iso(range.to),
      overall: withEstimate(pointOf(range, items), estimated?.overall),
      points: buckets.map((bucket, i) => withEstimate(pointOf(bucket, byBucket[i]!), estimated?.points[i])),
      unmatched: await this.#stores.feedback.countWaiting(model, range.from, range.to),
      estimation: estimated !== undefined && calibration !== undefined ? { method: 'cbpe', calibrationRows: calibration.rows } : null,
      estimationUnavailable,
    };
  }

  /** The newest entries of the sampled request log (default 50). */
  async requests(model: string, query: { readonly limit?: unknown } = {}): Promise<{ readonly requests: readonly LoggedRequest[] }> {
    const limit = query.limit === undefined || query.limit === '' ? 50 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LOGGED_REQUESTS) {
      throw Errors.REQUEST_INVALID.create(`limit=${String(query.limit)} is not a whole number from 1 to ${MAX_LOGGED_REQUESTS}`);
    }
    const rows = await this.#stores.samples.latestSamples(model, limit);
    return {
      requests: rows.map((r) => ({ requestId: r.requestId, at: r.at, version: r.version, protocol: r.protocol, inputs: JSON.parse(r.inputs) as unknown, outputs: JSON.parse(r.outputs) as unknown })),
    };
  }

  /**
   * The version a report is about and its profile: `version` when given; else the model's default
   * version (production alias, else latest) if it served the range; else the version that served
   * the most rows. Throws BERTH_REGISTRY_MODEL_NOT_FOUND or BERTH_MONITOR_PROFILE_MISSING.
   */
  async #profiled(model: string, asked: unknown, range: TimeRange): Promise<{ version: string; reference: VersionReference; profile: Profile }> {
    const version = versionParameter(asked) ?? (await this.#servingVersion(model, range));
    const reference = await this.#references.version(model, version);
    if (reference?.profile === undefined) throw Errors.MONITOR_PROFILE_MISSING.create(model, version);
    return { version, reference, profile: reference.profile };
  }

  /** The version a plain model name's report is about (see #profiled). */
  async #servingVersion(model: string, range: TimeRange): Promise<string> {
    const rows = await this.#stores.windows.rowsByVersion(model, range.from, range.to);
    for (const w of this.#live?.snapshot(model, range.from, range.to) ?? []) rows.set(w.version, (rows.get(w.version) ?? 0) + w.data.rows);
    const fallback = await this.#references.defaultVersion(model);
    if (fallback !== undefined && (rows.get(fallback) ?? 0) > 0) return fallback;
    const busiest = [...rows].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1])[0]?.[0];
    const version = busiest ?? fallback;
    if (version === undefined) throw Errors.REGISTRY_MODEL_NOT_FOUND.create(model);
    return version;
  }

  /** Feeds the stored and in-memory windows of a range (one version, or all; of one role, default served) to the merger of each window's start. */
  async #collect(
    model: string,
    version: string | undefined,
    range: TimeRange,
    mergerOf: (start: number) => MonitorWindowMerger | undefined,
    role: WindowRole | undefined,
  ): Promise<void> {
    await this.#visit(model, version, range, (start, data) => mergerOf(start)?.add(data), role);
  }

  /** Visits the stored and in-memory windows of a range (one version, or all; of one role, default served). */
  async #visit(
    model: string,
    version: string | undefined,
    range: TimeRange,
    visit: (start: number, data: MonitorWindowData) => void,
    role?: WindowRole,
  ): Promise<void> {
    await this.#read(async () => {
      await forEachWindow(this.#stores.windows, { model, version, role, ...range }, (w) => visit(w.start, w.data));
      for (const w of this.#live?.snapshot(model, range.from, range.to, role) ?? []) {
        if (version === undefined || w.version === version) visit(w.start, w.data);
      }
    });
  }

  #driftOptions(method: unknown): DriftReportOptions {
    if (method === undefined || method === '') return this.#drift;
    return { ...this.#drift, method: String(method) as DriftReportOptions['method'] };
  }
}

/** `columns` and `exclude` as lists: comma-separated strings (the API's query) or arrays (the CLI). */
function columnOptions(query: ReportQuery): Pick<DriftReportOptions, 'columns' | 'exclude'> {
  const list = (value: unknown): string[] | undefined => {
    if (value === undefined || value === '') return undefined;
    const items = Array.isArray(value) ? value.map(String) : String(value).split(',');
    return items.map((s) => s.trim()).filter((s) => s !== '');
  };
  const columns = list(query.columns);
  const exclude = list(query.exclude);
  return { ...(columns ? { columns } : {}), ...(exclude ? { exclude } : {}) };
}

/** A `version` parameter: undefined when absent; throws BERTH_REQUEST_INVALID when it is not a version. */
function versionParameter(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  const text = String(value);
  return String(parseVersionNumber(text, `version=${text}`));
}

function kindsOf(profile: Profile): Map<string, FeatureKind> {
  return new Map([...profile.features, ...profile.outputs].map((f) => [f.name, f.kind]));
}

function conflictWarnings(conflicts: readonly string[]): string[] {
  return conflicts.map((name) => `column '${name}' was left out of some windows: its kind there differs from the reference profile's`);
}

function mostCommon(values: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
}
