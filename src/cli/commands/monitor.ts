/** `berth monitor <model>`: the drift report of a model's recent traffic, read from the metadata database. */
import type { Config } from '../../core/config.js';
import { registryReferenceSource } from '../../app/registry-reference-source.js';
import { type MonitorDriftReport, MonitorReports } from '../../monitor/index.js';
import { RegistryReads } from '../../registry/index.js';
import { monitorStores, openMetadataStore } from '../../store/index.js';

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
  /** The clock, for tests. */
  readonly now?: () => number;
}

/**
 * The drift report over the windows every replica has stored (windows still in a server's memory,
 * at most one window old, are not included). Throws BERTH_MONITOR_PROFILE_MISSING,
 * BERTH_REGISTRY_MODEL_NOT_FOUND or BERTH_MONITOR_RANGE_INVALID.
 */
export async function monitorCommand(options: MonitorCommandOptions): Promise<MonitorDriftReport> {
  const { config } = options;
  // Only the metadata database: a report reads no blob, so it needs no blob store (S3) either.
  const store = await openMetadataStore({ home: config.store.home, databaseUrl: config.store.databaseUrl, schema: config.store.databaseSchema });
  try {
    const { method, correction, datasetDriftShare } = config.monitor.drift;
    const reports = new MonitorReports({
      stores: monitorStores(store),
      references: registryReferenceSource(new RegistryReads(store.db)),
      windowMs: config.monitor.windowMs,
      drift: { ...(method !== undefined ? { method } : {}), correction, datasetDriftShare },
      ...(options.now ? { now: options.now } : {}),
    });
    return await reports.drift(options.model, { from: options.since ?? '24h', version: options.version, method: options.method });
  } finally {
    await store.close();
  }
}
