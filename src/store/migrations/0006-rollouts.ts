/**
 * Migration 0006: rollouts as rows (see store-tables.ts RolloutsTable and
 * src/store/rollout-store.ts), so a rollout survives a restart and whichever replica holds its
 * lease runs it.
 */
import type { StoreMigration } from '../store-migration.js';

/** Creates the rollouts table and its indexes. */
export const rolloutTables: StoreMigration = {
  async up(db) {
    await db.schema
      .createTable('rollouts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('active_model', 'text')
      .addColumn('champion', 'integer', (c) => c.notNull())
      .addColumn('challenger', 'integer', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('plan', 'text', (c) => c.notNull())
      .addColumn('step', 'integer', (c) => c.notNull())
      .addColumn('step_started_at', 'text')
      .addColumn('next_check_at', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('finished_at', 'text')
      .addColumn('interface', 'text', (c) => c.notNull())
      .addColumn('actor', 'text')
      .addColumn('reason', 'text')
      .addColumn('deployment_seq', 'integer')
      .addColumn('last_check', 'text')
      .addColumn('events', 'text', (c) => c.notNull())
      .addColumn('holder', 'text')
      .addColumn('revision', 'integer', (c) => c.notNull())
      .execute();
    // At most one running rollout per model: a running row carries its model here, a finished one null.
    await db.schema.createIndex('rollouts_active_model').on('rollouts').column('active_model').unique().execute();
    await db.schema.createIndex('rollouts_model').on('rollouts').columns(['model', 'created_at']).execute();
    await db.schema.createIndex('rollouts_state').on('rollouts').column('state').execute();
  },
};
