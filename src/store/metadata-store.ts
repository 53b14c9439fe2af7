/**
 * The metadata database: opens SQLite or PostgreSQL by configuration, brings its schema up to
 * date, and hands out one Kysely instance that every query above it shares.
 */
import { join, resolve } from 'node:path';
import { Kysely, type Migration, Migrator } from 'kysely';
import { BerthError, Errors } from '../core/errors.js';
import { STORE_MIGRATIONS } from './migrations.js';
import { postgresStoreDialect, redactUrl } from './postgres-store-dialect.js';
import { sqliteStoreDialect } from './sqlite-store-dialect.js';
import type { StoreDialect } from './store-dialect.js';
import type { StoreKind, StoreMigration } from './store-migration.js';
import type { StoreTables } from './store-tables.js';

/** The database file's name under BERTH_HOME. */
export const SQLITE_FILE = 'berth.db';

/** Where the metadata lives. */
export interface MetadataStoreOptions {
  /** BERTH_HOME: holds `berth.db` when no database URL is given. */
  readonly home: string;
  /**
   * `postgres://…` or `postgresql://…` for PostgreSQL; `sqlite:path/to/file.db` for SQLite
   * elsewhere than BERTH_HOME; undefined for `BERTH_HOME/berth.db`.
   */
  readonly databaseUrl?: string | undefined;
  /** PostgreSQL schema for Berth's tables (created if missing). */
  readonly schema?: string | undefined;
  /** Most PostgreSQL connections the pool opens (config `store.databasePoolSize`); default 10. */
  readonly poolSize?: number | undefined;
  /**
   * How long a SQLite statement waits for another process's write lock before
   * BERTH_STORE_LOCKED, in ms (config `store.databaseLockWaitMs`); default 30 s.
   */
  readonly lockWaitMs?: number | undefined;
  /** Migrations to run; default every migration Berth has. Tests pass subsets. */
  readonly migrations?: Readonly<Record<string, StoreMigration>>;
}

/** An open metadata database with its schema up to date. */
export interface MetadataStore {
  readonly kind: StoreKind;
  /** Where the data lives, for messages (no password). */
  readonly description: string;
  readonly db: Kysely<StoreTables>;
  /**
   * A connection for heavy background writes (the monitor's prediction log), opened on first use:
   * on SQLite one in a worker thread, so the writes never block the event loop; elsewhere `db`.
   */
  writer(): Kysely<StoreTables>;
  /** Closes every connection. Idempotent. */
  close(): Promise<void>;
}

/** Chooses the dialect a database URL names. Throws BERTH_STORE_DATABASE_URL_INVALID. */
export function storeDialectFor(options: MetadataStoreOptions): StoreDialect {
  const url = options.databaseUrl;
  const sqlite = { lockWaitMs: options.lockWaitMs };
  if (url === undefined || url === '') return sqliteStoreDialect(join(resolve(options.home), SQLITE_FILE), sqlite);
  if (/^postgres(ql)?:\/\//i.test(url)) return postgresStoreDialect({ url, schema: options.schema, maxConnections: options.poolSize });
  if (/^sqlite:/i.test(url)) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '') throw Errors.STORE_DATABASE_URL_INVALID.create(url, 'it names no file');
    return sqliteStoreDialect(resolve(file), sqlite);
  }
  throw Errors.STORE_DATABASE_URL_INVALID.create(redactUrl(url), 'only postgres:// (or postgresql://) and sqlite: URLs are supported');
}

/**
 * Opens the metadata database and runs pending migrations; with none pending it only reads, so
 * it does not wait for another process's write. Throws BERTH_STORE_UNAVAILABLE when the database
 * cannot be reached, BERTH_STORE_LOCKED when a migration is pending and another process holds a
 * SQLite file's write lock for longer than the lock wait, and BERTH_STORE_MIGRATION_FAILED when its
 * schema cannot be brought up to date (e.g. it was migrated by a newer Berth).
 *
 * @example
 *   const store = await openMetadataStore({ home: '.berth' });
 *   const models = await store.db.selectFrom('models').selectAll().execute();
 *   await store.close();
 */
export async function openMetadataStore(options: MetadataStoreOptions): Promise<MetadataStore> {
  const dialect = storeDialectFor(options);
  let db: Kysely<StoreTables>;
  try {
    db = new Kysely<StoreTables>({ dialect: dialect.createKyselyDialect() });
  } catch (error) {
    throw unavailable(dialect, error);
  }
  try {
    let migrationSchema: string | undefined;
    try {
      migrationSchema = await dialect.prepare(db);
    } catch (error) {
      throw unavailable(dialect, error);
    }
    await migrate(db, dialect, migrationSchema, options.migrations ?? STORE_MIGRATIONS);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw error;
  }
  let closed: Promise<void> | undefined;
  let writer: Kysely<StoreTables> | undefined;
  return {
    kind: dialect.kind,
    description: dialect.description,
    db,
    writer: () => (writer ??= dialect.createWriterDialect ? new Kysely<StoreTables>({ dialect: dialect.createWriterDialect() }) : db),
    close: () => (closed ??= Promise.all([writer !== db ? writer?.destroy() : undefined, db.destroy()]).then(() => undefined)),
  };
}

/** The migrator's table of the migrations a database has run. */
const MIGRATION_TABLE = 'berth_migration';

async function migrate(db: Kysely<StoreTables>, dialect: StoreDialect, migrationTableSchema: string | undefined, migrations: Readonly<Record<string, StoreMigration>>): Promise<void> {
  // Kysely's Migrator checks for pending migrations inside a write transaction (on SQLite,
  // BEGIN IMMEDIATE), so every open would wait for another process's long write. When the
  // database has run every migration already, plain reads say so (beside a writer, under WAL)
  // and the Migrator is not needed; otherwise it runs, locking as it must (two processes
  // migrating a fresh database at once).
  let upToDate: boolean;
  try {
    upToDate = await hasRunExactly(db, migrationTableSchema, Object.keys(migrations));
  } catch (error) {
    throw migrationError(dialect, error, undefined);
  }
  if (upToDate) return;
  const provided: Record<string, Migration> = {};
  for (const [name, migration] of Object.entries(migrations)) {
    provided[name] = { up: (trx) => migration.up(trx, dialect.kind) };
  }
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(provided) },
    // Berth's own names, so its bookkeeping cannot collide with another Kysely app's tables in a
    // shared PostgreSQL database.
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: 'berth_migration_lock',
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
  // Each statement waits for another process's lock itself (the dialects' drivers); one that
  // waited in vain is BERTH_STORE_LOCKED, reported as it is.
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw migrationError(dialect, error, results?.find((r) => r.status === 'Error')?.migrationName);
}

/**
 * Whether the database has run exactly the migrations `names`, in the order the Migrator
 * requires (their names' order), read without a write lock. False when its migration table does
 * not exist yet, or a migration is pending; also when the record differs otherwise (a newer
 * Berth's migrations, an order the Migrator refuses), which the Migrator then reports.
 */
async function hasRunExactly(db: Kysely<StoreTables>, schema: string | undefined, names: readonly string[]): Promise<boolean> {
  // As the Migrator looks for its table.
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === MIGRATION_TABLE && (!schema || t.schema === schema))) return false;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the migrator's table is not one of StoreTables
  const untyped = db as unknown as Kysely<any>;
  const rows: { name: string; timestamp: string }[] = await (schema ? untyped.withSchema(schema) : untyped).selectFrom(MIGRATION_TABLE).select(['name', 'timestamp']).execute();
  // The Migrator's order of executed migrations (by time, then name) and of provided ones.
  const ran = rows
    .sort((a, b) => (a.timestamp === b.timestamp ? a.name.localeCompare(b.name) : new Date(a.timestamp).getTime() - new Date(b.timestamp).getTime()))
    .map((r) => r.name);
  const expected = [...names].sort();
  return ran.length === expected.length && ran.every((name, i) => name === expected[i]);
}

function migrationError(dialect: StoreDialect, error: unknown, failed: string | undefined): BerthError {
  if (error instanceof BerthError) return error;
  if (isConnectionError(error)) return unavailable(dialect, error);
  const reason = `${failed ? `migration ${failed}: ` : ''}${error instanceof Error ? error.message : String(error)}`;
  return Errors.STORE_MIGRATION_FAILED.create(dialect.description, reason);
}

function unavailable(dialect: StoreDialect, error: unknown): BerthError {
  if (error instanceof BerthError) return error;
  const reason = error instanceof Error ? error.message || (error as NodeJS.ErrnoException).code || error.name : String(error);
  return Errors.STORE_UNAVAILABLE.create(dialect.description, reason);
}

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (/^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|EACCES|SQLITE_CANTOPEN|SQLITE_BUSY)$/.test(code) || code.startsWith('28') || code.startsWith('3D') || code.startsWith('08'));
}
