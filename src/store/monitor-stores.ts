/**
 * The monitor's stores over one metadata database, each behind its own small interface; the only
 * one whose SQL differs between SQLite and PostgreSQL, the prediction log, is chosen by the
 * database's kind.
 */
import { type AlertStore, KyselyAlertStore } from './alert-store.js';
import { type FeedbackStore, KyselyFeedbackStore } from './feedback-store.js';
import { KyselyLeaseStore, type LeaseStore } from './lease-store.js';
import type { MetadataStore } from './metadata-store.js';
import { KyselyMonitorWindowStore, type MonitorWindowStore } from './monitor-window-store.js';
import { PostgresPredictionLogStore } from './postgres-prediction-log-store.js';
import type { PredictionLogStore } from './prediction-log-store.js';
import { SqlitePredictionLogStore } from './sqlite-prediction-log-store.js';

/** Everything the monitor keeps in the metadata database. */
export interface MonitorStores {
  readonly windows: MonitorWindowStore;
  readonly predictionLog: PredictionLogStore;
  readonly feedback: FeedbackStore;
  readonly alerts: AlertStore;
  readonly leases: LeaseStore;
}

/** Options of {@link monitorStores}. */
export interface MonitorStoresOptions {
  /**
   * Write the prediction log through `store.writer()` (default true): on SQLite a connection in a
   * worker thread, which needs the compiled build; false writes it through `store.db`.
   */
  readonly logWriter?: boolean;
}

/**
 * The monitor's stores over `store`.
 *
 * @example
 *   const monitor = new MonitorService({ stores: monitorStores(store), config: config.monitor, references });
 */
export function monitorStores(store: MetadataStore, options: MonitorStoresOptions = {}): MonitorStores {
  const { db } = store;
  const writer = options.logWriter === false ? () => db : () => store.writer();
  const predictionLog = store.kind === 'postgres' ? new PostgresPredictionLogStore(db, writer) : new SqlitePredictionLogStore(db, writer);
  return {
    windows: new KyselyMonitorWindowStore(db),
    predictionLog,
    feedback: new KyselyFeedbackStore(db),
    alerts: new KyselyAlertStore(db),
    leases: new KyselyLeaseStore(db),
  };
}
