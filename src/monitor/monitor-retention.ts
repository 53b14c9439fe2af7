/** Retention: what the monitor deletes once it is older than the configuration keeps it. */
import type { Config } from '../core/config.js';
import { payloadSettingsOf } from '../core/monitor-config.js';
import type { MonitorStores } from '../store/index.js';
import { pruneSegments } from './log-segments.js';

const DAY_MS = 86_400_000;

/** The retention settings of the `monitor` configuration. */
export type RetentionSettings = Pick<Config['monitor'], 'windowRetentionDays' | 'logRetentionDays' | 'sampleRetentionDays' | 'payloads'>;

/**
 * Deletes windows, prediction log and payload segments (rows and blobs), samples, feedback and
 * resolved alerts past their retention (feedback and alert history last as long as windows).
 */
export async function pruneMonitorData(stores: Omit<MonitorStores, 'leases'>, settings: RetentionSettings, now: number): Promise<void> {
  const windowsBefore = now - settings.windowRetentionDays * DAY_MS;
  await stores.windows.deleteBefore(windowsBefore);
  await pruneSegments(stores, 'predictions', now - settings.logRetentionDays * DAY_MS);
  // Payloads are kept as long as each model's settings say.
  for (const model of await stores.segments.models('payloads')) {
    await pruneSegments(stores, 'payloads', now - payloadSettingsOf(settings.payloads, model).retentionDays * DAY_MS, model);
  }
  await stores.samples.prune(now - settings.sampleRetentionDays * DAY_MS);
  await stores.feedback.deleteReceivedBefore(windowsBefore);
  await stores.alerts.deleteResolvedBefore(windowsBefore);
}
