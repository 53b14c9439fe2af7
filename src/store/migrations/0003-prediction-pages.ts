/**
 * Migration 0003: the paged prediction log (monitor_prediction_pages, see store-tables.ts and
 * src/monitor/prediction-pages.ts), which takes the server's own request ids off the per-request
 * table.
 */
import type { StoreMigration } from '../store-migration.js';

/** Creates the page table and its two indexes. */
export const predictionPages: StoreMigration = {
  async up(db) {
    await db.schema
      .createTable('monitor_prediction_pages')
      .addColumn('page_id', 'text', (c) => c.primaryKey())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('id_from_ms', 'bigint', (c) => c.notNull())
      .addColumn('id_to_ms', 'bigint', (c) => c.notNull())
      .addColumn('last_at', 'text', (c) => c.notNull())
      .addColumn('entries', 'integer', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .execute();
    // A lookup scans one model's pages by the end of their id range; id_from_ms in the index lets
    // it discard the pages that start too late without reading them.
    await db.schema.createIndex('monitor_prediction_pages_ids').on('monitor_prediction_pages').columns(['model', 'id_to_ms', 'id_from_ms']).execute();
    await db.schema.createIndex('monitor_prediction_pages_last_at').on('monitor_prediction_pages').column('last_at').execute();
  },
};
