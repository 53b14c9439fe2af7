/**
 * Migration 0007: a `role` for each monitor window, `served` (the traffic a version answered) or
 * `shadow` (copies a version ran as a deployment's shadow, answered to nobody), part of the key so
 * one version can hold both in one window (a shadow promoted to a variant mid-window). The table
 * is rebuilt because neither SQLite nor PostgreSQL can widen a primary key in place portably;
 * existing windows are all served traffic.
 */
import { sql } from 'kysely';
import type { StoreMigration } from '../store-migration.js';

const COLUMNS = ['model', 'version', 'start_at', 'replica', 'window_ms', 'requests', 'rows', 'client_errors', 'server_errors', 'latency', 'sketches', 'updated_at'] as const;

/** Rebuilds monitor_windows with a role column in its key. */
export const windowRoles: StoreMigration = {
  async up(db) {
    await db.schema
      .createTable('monitor_windows_next')
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('start_at', 'text', (c) => c.notNull())
      .addColumn('replica', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull().defaultTo('served'))
      .addColumn('window_ms', 'integer', (c) => c.notNull())
      .addColumn('requests', 'bigint', (c) => c.notNull())
      .addColumn('rows', 'bigint', (c) => c.notNull())
      .addColumn('client_errors', 'bigint', (c) => c.notNull())
      .addColumn('server_errors', 'bigint', (c) => c.notNull())
      .addColumn('latency', 'text', (c) => c.notNull())
      .addColumn('sketches', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      // A new name: PostgreSQL names the key's index after it, and the old one exists until the drop.
      .addPrimaryKeyConstraint('monitor_windows_role_pk', ['model', 'version', 'start_at', 'replica', 'role'])
      .execute();
    await db
      .insertInto('monitor_windows_next')
      .columns([...COLUMNS, 'role'])
      .expression(db.selectFrom('monitor_windows').select([...COLUMNS, sql<string>`'served'`.as('role')]))
      .execute();
    await db.schema.dropTable('monitor_windows').execute();
    await db.schema.alterTable('monitor_windows_next').renameTo('monitor_windows').execute();
    // Reports read one model's windows over a time range, any version; retention deletes by start.
    await db.schema.createIndex('monitor_windows_model_start').on('monitor_windows').columns(['model', 'start_at']).execute();
    await db.schema.createIndex('monitor_windows_start').on('monitor_windows').column('start_at').execute();
  },
};
