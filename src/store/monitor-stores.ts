/**
 * The monitor's stores over one metadata database and one blob store, each behind its own small
 * interface; the only one whose SQL differs between SQLite and PostgreSQL, the sampled log's bulk
 * insert, is chosen by the database's kind. The prediction log and the payload log are segment
 * files in `blobs`, with one row per segment in the database.
 */
import { stillReferenced } from './blob-references.js';
import { type AlertStore, KyselyAlertStore } from './alert-store.js';
import type { BlobStore } from './blob-store.js';
import { type FeedbackStore, KyselyFeedbackStore } from './feedback-store.js';
import { KyselyLeaseStore, type LeaseStore } from './lease-store.js';
import { KyselyLogSegmentStore, type LogSegmentStore } from './log-segment-store.js';
import type { MetadataStore } from './metadata-store.js';
import { KyselyMonitorWindowStore, type MonitorWindowStore } from './monitor-window-store.js';
import { PostgresSampleStore } from './postgres-sample-store.js';
import type { SampleStore } from './sample-store.js';
import { SqliteSampleStore } from './sqlite-sample-store.js';

/** Everything the monitor keeps: rows in the metadata database, segment files in the blob store. */
export interface MonitorStores {
  readonly windows: MonitorWindowStore;
  readonly samples: SampleStore;
  /** The segment rows of the prediction log and the payload log. */
  readonly segments: LogSegmentStore;
  /** Where segment files are kept (see openLogBlobStore for which store that is). */
  readonly blobs: BlobStore;
  readonly feedback: FeedbackStore;
  readonly alerts: AlertStore;
  readonly leases: LeaseStore;
  /** Those of `digests` some row of the database still references (a blob in use is never removed). */
  stillReferenced(digests: readonly string[]): Promise<Set<string>>;
}

/** Options of {@link monitorStores}. */
export interface MonitorStoresOptions {
  /** Where segment files go: the blob store that belongs with the database (see openLogBlobStore). */
  readonly blobs: BlobStore;
  /**
   * Write samples and feedback through `store.writer()` (default true): on SQLite a connection in
   * a worker thread, which needs the compiled build; false writes them through `store.db`.
   */
  readonly logWriter?: boolean;
}

/**
 * The monitor's stores over `store` and `blobs`.
 *
 * @example
 *   const monitor = new MonitorService({ stores: monitorStores(registry.store, { blobs: registry.blobs }), config: config.monitor, references });
 */
export function monitorStores(store: MetadataStore, options: MonitorStoresOptions): MonitorStores {
  const { db } = store;
  const writer = options.logWriter === false ? () => db : () => store.writer();
  const samples = store.kind === 'postgres' ? new PostgresSampleStore(db, writer) : new SqliteSampleStore(db, writer);
  return {
    windows: new KyselyMonitorWindowStore(db),
    samples,
    segments: new KyselyLogSegmentStore(db),
    blobs: options.blobs,
    feedback: new KyselyFeedbackStore(db, writer),
    alerts: new KyselyAlertStore(db),
    leases: new KyselyLeaseStore(db),
    stillReferenced: (digests) => stillReferenced(db, digests),
  };
}

/**
 * The stores a report reads, all in the metadata database (windows, feedback, samples): what a
 * command that only reads reports opens, with no blob store.
 */
export function monitorReportStores(store: MetadataStore): Pick<MonitorStores, 'windows' | 'feedback' | 'samples'> {
  const { db } = store;
  return {
    windows: new KyselyMonitorWindowStore(db),
    samples: store.kind === 'postgres' ? new PostgresSampleStore(db) : new SqliteSampleStore(db),
    feedback: new KyselyFeedbackStore(db),
  };
}
