/**
 * `berth monitor <model>`: the drift report of a model's recent traffic and its performance
 * (realized from feedback, estimated without labels), read from the metadata
 * database, or with `url` from a running server, whose answer includes the windows still in its
 * memory.
 */
import type { Config } from '../../core/config.js';
import { registryReferenceSource } from '../../app/registry-reference-source.js';
import { type MonitorDriftReport, MonitorReports, type PerformanceReport } from '../../monitor/index.js';
import { RegistryReads } from '../../registry/index.js';
import { monitorReportStores, openMetadataStore } from '../../store/index.js';
import { remoteJson } from '../remote-json.js';

/** Options of `berth monitor`. */
export interface MonitorCommandOptions {
  readonly config: Config;
  readonly model: string;
  /** How far back, e.g. `1h`, `30m`, `7d` (default 24h). */
  readonly since?: string | undefined;
  /** One version (default: the one that served the range). */
  readonly version?: string | undefined;
  /** One drift method for every feature it applies to. */
  readonly method?: string | undefined;
  /** Compare only these features. */
  readonly columns?: readonly string[] | undefined;
  /** Leave these features out. */
  readonly exclude?: readonly string[] | undefined;
  /** A running server to ask instead of the database: its report includes the window in its memory. */
  readonly url?: string | undefined;
  readonly token?: string | undefined;
  /** The clock, for tests. */
  readonly now?: () => number;
}

/** The report, and what it could not include. */
export interface MonitorCommandResult extends MonitorDriftReport {
  /**
   * Read from the database, traffic of the current window is still in the servers' memory: when
   * that window closes (ISO time) and how long windows last. Null when a server was asked.
   */
  readonly pending: { readonly windowCloses: string; readonly windowMs: number } | null;
  /** Realized performance (from feedback) and performance estimated without labels, over the same range and version. */
  readonly performance: PerformanceReport;
}

/**
 * The drift report over the windows every replica has stored, or, with `url`, the one the server
 * answers (its own windows in memory included). Throws BERTH_MONITOR_PROFILE_MISSING,
 * BERTH_REGISTRY_MODEL_NOT_FOUND, BERTH_MONITOR_RANGE_INVALID, BERTH_MONITOR_OPTION_INVALID for an
 * unknown column, or BERTH_REMOTE_FAILED.
 */
export async function monitorCommand(options: MonitorCommandOptions): Promise<MonitorCommandResult> {
  const { config } = options;
  const query = {
    from: options.since ?? '24h',
    ...(options.version !== undefined ? { version: options.version } : {}),
    ...(options.method !== undefined ? { method: options.method } : {}),
    ...(options.columns?.length ? { columns: options.columns.join(',') } : {}),
    ...(options.exclude?.length ? { exclude: options.exclude.join(',') } : {}),
  };
  if (options.url !== undefined) {
    const path = `/api/models/${encodeURIComponent(options.model)}/monitor/drift?${new URLSearchParams(query).toString()}`;
    const remote = { url: options.url, token: options.token };
    const report = (await remoteJson(remote, path, {}, `reading the drift report of ${options.model}`)) as MonitorDriftReport;
    const performancePath = `/api/models/${encodeURIComponent(options.model)}/monitor/performance?${new URLSearchParams({ from: report.from, to: report.to, version: report.version, step: wholeRange(report) }).toString()}`;
    const performance = (await remoteJson(remote, performancePath, {}, `reading the performance of ${options.model}`)) as PerformanceReport;
    return { ...report, pending: null, performance };
  }
  // Only the metadata database: a report reads no blob, so it needs no blob store (S3) either.
  const store = await openMetadataStore({ home: config.store.home, databaseUrl: config.store.databaseUrl, schema: config.store.databaseSchema, poolSize: config.store.databasePoolSize, lockWaitMs: config.store.databaseLockWaitMs });
  try {
    const { method, correction, datasetDriftShare } = config.monitor.drift;
    const now = options.now ?? Date.now;
    const reports = new MonitorReports({
      stores: monitorReportStores(store),
      references: registryReferenceSource(new RegistryReads(store.db)),
      windowMs: config.monitor.windowMs,
      drift: { ...(method !== undefined ? { method } : {}), correction, datasetDriftShare },
      now,
    });
    const report = await reports.drift(options.model, query);
    const performance = await reports.performance(options.model, { from: report.from, to: report.to, version: report.version, step: wholeRange(report) });
    const windowMs = config.monitor.windowMs;
    return { ...report, pending: { windowCloses: new Date((Math.floor(now() / windowMs) + 1) * windowMs).toISOString(), windowMs }, performance };
  } finally {
    await store.close();
  }
}

/** A step as long as the report's range: performance over the range in one point. */
function wholeRange(report: Pick<MonitorDriftReport, 'from' | 'to'>): string {
  return `${Math.max(1, Date.parse(report.to) - Date.parse(report.from))}ms`;
}
