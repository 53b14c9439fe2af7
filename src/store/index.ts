/**
 * The store layer's public entry: the metadata database (Kysely over SQLite or PostgreSQL, with
 * migrations), the monitor's stores over it (all of the monitor's SQL), and the content-addressed
 * blob store (which also holds the monitor's log segments).
 */
export { type AlertMeasurement, type AlertStateRecord, type AlertStore, KyselyAlertStore, type StoredAlertRule } from './alert-store.js';
export { type FeedbackRecord, type FeedbackStore, type JoinedFeedbackRecord, type JoinedPrediction, KyselyFeedbackStore, type WaitingFeedback } from './feedback-store.js';
export { isoTime } from './iso-time.js';
export { KyselyLeaseStore, type LeaseStore } from './lease-store.js';
export { monitorReportStores, type MonitorStores, type MonitorStoresOptions, monitorStores } from './monitor-stores.js';
export {
  KyselyMonitorWindowStore,
  type MergeWindow,
  type MonitorWindowStore,
  type WindowCountsRecord,
  type WindowQuery,
  type WindowRole,
  type WindowRecord,
  type WindowWrite,
} from './monitor-window-store.js';
export { PostgresSampleStore } from './postgres-sample-store.js';
export { KyselySampleStore, type SampleRecord, type SampleStore } from './sample-store.js';
export { SqliteSampleStore } from './sqlite-sample-store.js';
export { KyselyLogSegmentStore, type LogSegmentKind, type LogSegmentRecord, type LogSegmentStore } from './log-segment-store.js';
export { type BlobInfo, type BlobStore, digestHex, isDigest } from './blob-store.js';
export { fsyncDirectory, hashBytes, hashFile, temporarySibling, writeFileAtomic } from './durable-files.js';
export { FileBlobStore } from './file-blob-store.js';
export { type BlobStoreLocation, type LogBlobStoreLocation, openBlobStore, openLogBlobStore, parseS3Url } from './open-blob-store.js';
export { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';
export { type MetadataStore, type MetadataStoreOptions, SQLITE_FILE, openMetadataStore, storeDialectFor } from './metadata-store.js';
export { STORE_MIGRATIONS } from './migrations.js';
export { redactUrl } from './postgres-store-dialect.js';
export type { StoreDialect } from './store-dialect.js';
export type { StoreKind, StoreMigration } from './store-migration.js';
export type * from './store-tables.js';
export { referencedDigests, stillReferenced } from './blob-references.js';
export { type RetrainPolicyRow, RetrainPolicyStore } from './retrain-policy-store.js';
export { type RolloutInsert, type RolloutRow, RolloutStore, type RolloutUpdate } from './rollout-store.js';
export { type TrainingJobFile, type TrainingJobOutcome, type TrainingJobRow, TrainingJobStore } from './training-job-store.js';
export { type ComparisonRecord, type MergeComparison, ShadowComparisonStore } from './shadow-comparison-store.js';
