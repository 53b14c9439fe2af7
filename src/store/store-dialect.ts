/**
 * The seam between the metadata store and a database: everything dialect-specific lives behind
 * this interface (opening connections, per-connection settings, where migration bookkeeping
 * goes); all queries and migrations above it are written once.
 */
import type { Dialect, Kysely } from 'kysely';
import type { StoreKind } from './store-migration.js';

/** One database backend of the metadata store. */
export interface StoreDialect {
  readonly kind: StoreKind;
  /** Where the data lives, for messages; never contains a password. */
  readonly description: string;
  /** Makes the Kysely dialect; called once per store. */
  createKyselyDialect(): Dialect;
  /**
   * Makes a dialect for heavy background writes that must not block the event loop (SQLite's
   * driver is synchronous); dialects whose driver is asynchronous already leave this out.
   */
  createWriterDialect?(): Dialect;
  /**
   * Runs once before migrations, e.g. to create a PostgreSQL schema, and returns the schema the
   * migrator keeps its own tables in (undefined: the database's only namespace).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  prepare(db: Kysely<any>): Promise<string | undefined>;
}
