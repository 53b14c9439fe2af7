/**
 * Migration 0007: the prediction log and the payload log as segment files in the blob store, with
 * one row of metadata per segment here (monitor_log_segments, see store-tables.ts and
 * src/monitor/log-segments.ts). The per-request and paged prediction tables go: feedback already
 * joined keeps its own copy of the prediction (monitor_feedback), so only predictions without
 * feedback yet are given up.
 */
import type { StoreMigration } from '../store-migration.js';

/** Creates the segment table and its indexes; drops monitor_predictions and monitor_prediction_pages. */
export const logSegments: StoreMigration = {
  async up(db) {
    await db.schema
      .createTable('monitor_log_segments')
      .addColumn('segment_id', 'text', (c) => c.primaryKey())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('bytes', 'bigint', (c) => c.notNull())
      .addColumn('entries', 'integer', (c) => c.notNull())
      .addColumn('id_from_ms', 'bigint')
      .addColumn('id_to_ms', 'bigint')
      .addColumn('other_ids', 'text')
      .addColumn('first_at', 'text', (c) => c.notNull())
      .addColumn('last_at', 'text', (c) => c.notNull())
      .execute();
    // A lookup scans one model's segments of a kind by the end of their id range, as pages were.
    await db.schema.createIndex('monitor_log_segments_ids').on('monitor_log_segments').columns(['model', 'kind', 'id_to_ms', 'id_from_ms']).execute();
    await db.schema.createIndex('monitor_log_segments_time').on('monitor_log_segments').columns(['model', 'kind', 'last_at']).execute();
    await db.schema.createIndex('monitor_log_segments_last_at').on('monitor_log_segments').column('last_at').execute();
    await db.schema.createIndex('monitor_log_segments_digest').on('monitor_log_segments').column('digest').execute();
    await db.schema.dropTable('monitor_prediction_pages').execute();
    await db.schema.dropTable('monitor_predictions').execute();
  },
};
