/**
 * Migration 0004: training jobs as rows (training_jobs, training_job_files; see store-tables.ts
 * and src/store/training-job-store.ts), so any replica can show, follow and register a job.
 */
import type { StoreMigration } from '../store-migration.js';

/** Creates the training job tables and their indexes. */
export const trainingJobTables: StoreMigration = {
  async up(db) {
    await db.schema
      .createTable('training_jobs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text')
      .addColumn('finished_at', 'text')
      .addColumn('file', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('options', 'text', (c) => c.notNull())
      .addColumn('progress', 'text', (c) => c.notNull())
      .addColumn('result', 'text')
      .addColumn('error', 'text')
      .addColumn('registered', 'text')
      .addColumn('upload_digest', 'text')
      .addColumn('holder', 'text')
      .addColumn('heartbeat_at', 'text')
      .addColumn('revision', 'integer', (c) => c.notNull())
      .execute();
    // Replicas look for the oldest queued job and for running jobs whose lease went stale.
    await db.schema.createIndex('training_jobs_state').on('training_jobs').columns(['state', 'created_at']).execute();
    await db.schema.createIndex('training_jobs_upload').on('training_jobs').column('upload_digest').execute();

    await db.schema
      .createTable('training_job_files')
      .addColumn('job_id', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('training_job_files_pk', ['job_id', 'path'])
      .execute();
    await db.schema.createIndex('training_job_files_digest').on('training_job_files').column('digest').execute();
  },
};
