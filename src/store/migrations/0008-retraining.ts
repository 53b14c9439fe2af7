/**
 * Migration 0008: retraining. A version's kept training data (version_data: blobs the registry
 * keeps while the version exists), retraining policies per model (retrain_policies), and
 * retraining jobs as training job rows: `retrain_model` names the model a queued or running
 * retraining job works on, unique, so one model never has two at once.
 */
import type { StoreMigration } from '../store-migration.js';

/** Creates the retraining tables and the training jobs' retraining column. */
export const retrainingTables: StoreMigration = {
  async up(db) {
    await db.schema
      .createTable('version_data')
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('number', 'integer', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('rows', 'integer', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('version_data_pk', ['model', 'number', 'role'])
      .execute();
    await db.schema.createIndex('version_data_digest').on('version_data').column('digest').execute();

    await db.schema
      .createTable('retrain_policies')
      .addColumn('model', 'text', (c) => c.primaryKey())
      .addColumn('policy', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .execute();

    await db.schema.alterTable('training_jobs').addColumn('retrain_model', 'text').execute();
    await db.schema.alterTable('training_jobs').addColumn('keep_data', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    // NULLs never collide, so finished jobs and plain training jobs are not limited.
    await db.schema.createIndex('training_jobs_retrain_model').on('training_jobs').column('retrain_model').unique().execute();
  },
};
