/** Retention: what the monitor deletes once it is older than the configuration keeps it. */
import type { Config } from '../core/config.js';
import type { MonitorStores } from '../store/index.js';

const DAY_MS = 86_400_000;

/** The retention settings of the `monitor` configuration. */
export type RetentionSettings = Pick<Config['monitor'], 'windowRetentionDays' | 'logRetentionDays' | 'sampleRetentionDays'>;

/**
 * Deletes windows, the prediction log, samples, feedback and resolved alerts past their retention
 * (feedback and alert history last as long as windows).
 */
export async function pruneMonitorData(stores: Omit<MonitorStores, 'leases'>, settings: RetentionSettings, now: number): Promise<void> {
  const windowsBefore = now - settings.windowRetentionDays * DAY_MS;
  await stores.windows.deleteBefore(windowsBefore);
  await stores.predictionLog.prune(now - settings.logRetentionDays * DAY_MS, now - settings.sampleRetentionDays * DAY_MS);
  await stores.feedback.deleteReceivedBefore(windowsBefore);
  await stores.alerts.deleteResolvedBefore(windowsBefore);
}
