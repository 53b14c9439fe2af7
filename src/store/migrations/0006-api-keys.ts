/**
 * Migration 0006: API keys (api_keys; see store-tables.ts and src/registry/api-keys.ts), looked up
 * by the hash of the key a request sends.
 */
import type { StoreMigration } from '../store-migration.js';

/** Creates the API key table and its index on the key's hash. */
export const apiKeyTables: StoreMigration = {
  async up(db) {
    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('model', 'text')
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('hint', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text')
      .execute();
    await db.schema.createIndex('api_keys_hash').on('api_keys').column('hash').unique().execute();
  },
};
