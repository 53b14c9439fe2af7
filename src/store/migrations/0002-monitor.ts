/**
 * Migration 0002: the monitor's tables (windows of sketches per replica, the prediction log, the
 * sampled request log, feedback, alert rules and alert states, and leases). See store-tables.ts
 * for what each column holds.
 */
import type { StoreMigration } from '../store-migration.js';

/** Creates the monitor's tables. */
export const monitorTables: StoreMigration = {
  async up(db) {
    await db.schema
      .createTable('monitor_windows')
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('start_at', 'text', (c) => c.notNull())
      .addColumn('replica', 'text', (c) => c.notNull())
      .addColumn('window_ms', 'integer', (c) => c.notNull())
      .addColumn('requests', 'bigint', (c) => c.notNull())
      .addColumn('rows', 'bigint', (c) => c.notNull())
      .addColumn('client_errors', 'bigint', (c) => c.notNull())
      .addColumn('server_errors', 'bigint', (c) => c.notNull())
      .addColumn('latency', 'text', (c) => c.notNull())
      .addColumn('sketches', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('monitor_windows_pk', ['model', 'version', 'start_at', 'replica'])
      .execute();
    // Reports read one model's windows over a time range, any version.
    await db.schema.createIndex('monitor_windows_model_start').on('monitor_windows').columns(['model', 'start_at']).execute();
    await db.schema.createIndex('monitor_windows_start').on('monitor_windows').column('start_at').execute();

    await db.schema
      .createTable('monitor_predictions')
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('rows', 'integer', (c) => c.notNull())
      .addColumn('outputs', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('monitor_predictions_pk', ['model', 'request_id'])
      .execute();
    await db.schema.createIndex('monitor_predictions_at').on('monitor_predictions').column('at').execute();

    await db.schema
      .createTable('monitor_samples')
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('protocol', 'text', (c) => c.notNull())
      .addColumn('inputs', 'text', (c) => c.notNull())
      .addColumn('outputs', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('monitor_samples_pk', ['model', 'request_id'])
      .execute();
    await db.schema.createIndex('monitor_samples_model_at').on('monitor_samples').columns(['model', 'at']).execute();
    await db.schema.createIndex('monitor_samples_at').on('monitor_samples').column('at').execute();

    await db.schema
      .createTable('monitor_feedback')
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addColumn('actual', 'text', (c) => c.notNull())
      .addColumn('matched', 'integer', (c) => c.notNull())
      .addColumn('version', 'text')
      .addColumn('predicted_at', 'text')
      .addColumn('rows', 'integer')
      .addColumn('outputs', 'text')
      .addPrimaryKeyConstraint('monitor_feedback_pk', ['model', 'request_id'])
      .execute();
    await db.schema.createIndex('monitor_feedback_predicted').on('monitor_feedback').columns(['model', 'predicted_at']).execute();
    await db.schema.createIndex('monitor_feedback_unmatched').on('monitor_feedback').columns(['matched', 'received_at']).execute();

    await db.schema
      .createTable('monitor_alert_rules')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('monitor_alerts')
      .addColumn('rule_id', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('since', 'text', (c) => c.notNull())
      .addColumn('version', 'text')
      .addColumn('value', 'double precision')
      .addColumn('threshold', 'double precision')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}'))
      .addPrimaryKeyConstraint('monitor_alerts_pk', ['rule_id', 'model'])
      .execute();

    await db.schema
      .createTable('monitor_leases')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('holder', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
  },
};
