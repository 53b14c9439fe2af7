/**
 * Migration 0005: deployments (a model's traffic policy, one row per model) and the comparisons
 * of shadows with the versions they shadow (one row per model, shadow version, window and
 * replica, as monitor windows are). See store-tables.ts for what each column holds.
 */
import type { StoreMigration } from '../store-migration.js';

/** Creates the deployment and shadow comparison tables. */
export const deploymentTables: StoreMigration = {
  async up(db) {
    await db.schema
      .createTable('deployments')
      .addColumn('model', 'text', (c) => c.primaryKey().references('models.name'))
      .addColumn('policy', 'text', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('shadow_comparisons')
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('shadow', 'integer', (c) => c.notNull())
      .addColumn('start_at', 'text', (c) => c.notNull())
      .addColumn('replica', 'text', (c) => c.notNull())
      .addColumn('window_ms', 'integer', (c) => c.notNull())
      .addColumn('requests', 'bigint', (c) => c.notNull())
      .addColumn('dropped', 'bigint', (c) => c.notNull())
      .addColumn('failed', 'bigint', (c) => c.notNull())
      .addColumn('rows', 'bigint', (c) => c.notNull())
      .addColumn('labelled', 'bigint', (c) => c.notNull())
      .addColumn('agreed', 'bigint', (c) => c.notNull())
      .addColumn('sketches', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('shadow_comparisons_pk', ['model', 'shadow', 'start_at', 'replica'])
      .execute();
    // Retention deletes by start time across models.
    await db.schema.createIndex('shadow_comparisons_start').on('shadow_comparisons').column('start_at').execute();
  },
};
