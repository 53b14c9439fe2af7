/** `berth monitor <model>`: the drift report of a model's recent traffic, read from the metadata database. */
import type { Config } from '../../core/config.js';
import { registryReferenceSource } from '../../app/registry-reference-source.js';
import { type MonitorDriftReport, MonitorReports } from '../../monitor/index.js';
import { monitorStores } from '../../store/index.js';
import { withRegistry } from '../with-registry.js';

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
  return withRegistry(config, undefined, async (registry) => {
    const { method, correction, datasetDriftShare } = config.monitor.drift;
    const reports = new MonitorReports({
      stores: monitorStores(registry.store),
      references: registryReferenceSource(registry),
      windowMs: config.monitor.windowMs,
      drift: { ...(method !== undefined ? { method } : {}), correction, datasetDriftShare },
      ...(options.now ? { now: options.now } : {}),
    });
    return reports.drift(options.model, { from: options.since ?? '24h', version: options.version, method: options.method });
  });
}
