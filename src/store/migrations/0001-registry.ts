/**
 * Migration 0001: the registry's tables (models, versions and their files, aliases, the audit
 * log and its change counter). See store-tables.ts for what each column holds.
 */
import { sql } from 'kysely';
import type { StoreMigration } from '../store-migration.js';

/** Creates the registry's tables. */
export const registryTables: StoreMigration = {
  async up(db) {
    await db.schema
      .createTable('models')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('last_version', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();

    await db.schema
      .createTable('versions')
      .addColumn('model', 'text', (c) => c.notNull().references('models.name'))
      .addColumn('number', 'integer', (c) => c.notNull())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('manifest', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('versions_pk', ['model', 'number'])
      // One version per bundle digest and model: registering a bundle twice finds the first.
      .addUniqueConstraint('versions_model_digest', ['model', 'digest'])
      .execute();

    await db.schema
      .createTable('version_files')
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('number', 'integer', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('version_files_pk', ['model', 'number', 'path'])
      .addForeignKeyConstraint('version_files_version', ['model', 'number'], 'versions', ['model', 'number'], (c) => c.onDelete('cascade'))
      .execute();
    // "Is this blob still used by any version?" is asked on every delete.
    await db.schema.createIndex('version_files_digest').on('version_files').column('digest').execute();

    await db.schema
      .createTable('aliases')
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('number', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('aliases_pk', ['model', 'name'])
      // An alias keeps its version alive: deleting the version needs the alias gone first.
      .addForeignKeyConstraint('aliases_version', ['model', 'number'], 'versions', ['model', 'number'])
      .execute();

    await db.schema
      .createTable('audit_log')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('interface', 'text', (c) => c.notNull())
      .addColumn('actor', 'text')
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('model', 'text')
      .addColumn('version', 'integer')
      .addColumn('alias', 'text')
      .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}'))
      .execute();
    await db.schema.createIndex('audit_log_model').on('audit_log').columns(['model', 'seq']).execute();

    await db.schema
      .createTable('change_counter')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addCheckConstraint('change_counter_single_row', sql`id = 1`)
      .execute();
    await db.insertInto('change_counter').values({ id: 1, seq: 0 }).execute();
  },
};
