/**
 * SQLite through better-sqlite3: the embedded default (`BERTH_HOME/berth.db`).
 *
 * Two changes to Kysely's stock SQLite dialect make it safe for several processes sharing one
 * file: transactions start with `BEGIN IMMEDIATE`, so a writer takes the write lock up front and
 * waits (busy_timeout) instead of failing when it later upgrades a stale read snapshot; and DDL
 * runs in transactions (SQLite supports it; Kysely's adapter is conservative), so migrations are
 * atomic and two processes opening a fresh database do not both create the tables.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { CompiledQuery, type DatabaseConnection, type Dialect, type Driver, SqliteAdapter, SqliteDialect, SqliteDriver } from 'kysely';
import type { StoreDialect } from './store-dialect.js';
import { sqliteWriterDialect } from './sqlite-writer-dialect.js';

/**
 * better-sqlite3 waits for a lock synchronously, blocking the event loop, so a second connection
 * in the same process could never release the lock it waits for. It therefore waits only briefly
 * (enough for another process's short transaction); longer waits are async retries with backoff,
 * up to {@link LOCK_WAIT_MS}.
 */
const BUSY_TIMEOUT_MS = 50;
/** How long a writer waits in all for another writer to finish, in ms. */
export const LOCK_WAIT_MS = 30_000;

/** True for SQLite's "database is locked" errors. */
export function isSqliteBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** Runs `attempt` until it does not fail with SQLITE_BUSY, sleeping between tries (async). */
export async function retryWhileBusy<T>(attempt: () => Promise<T>, waitMs = LOCK_WAIT_MS): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
    try {
      return await attempt();
    } catch (error) {
      if (!isSqliteBusy(error) || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random())));
    }
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await retryWhileBusy(() => connection.executeQuery(CompiledQuery.raw('begin immediate')));
  }
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class BerthSqliteDialect extends SqliteDialect {
  readonly #file: string;
  constructor(file: string) {
    super({ database: () => openSqliteDatabase(file) });
    this.#file = file;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver({ database: () => openSqliteDatabase(this.#file) });
  }
  override createAdapter(): SqliteAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/**
 * Opens a connection with Berth's settings; `busyTimeoutMs` is how long a statement blocks on
 * another connection's lock before SQLITE_BUSY (short on the event loop, see BUSY_TIMEOUT_MS).
 */
export async function openSqliteDatabase(file: string, busyTimeoutMs = BUSY_TIMEOUT_MS): Promise<Database.Database> {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { timeout: busyTimeoutMs });
  try {
    // WAL lets readers (servers polling for alias moves) run while a writer registers; FULL
    // synchronous makes a committed version survive power loss, at a cost only writes pay.
    // Switching a new file to WAL needs a moment's exclusive lock: retried like a transaction.
    await retryWhileBusy(async () => db.pragma('journal_mode = WAL'));
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** The SQLite dialect for the database file at `file` (created with its folder if missing). */
export function sqliteStoreDialect(file: string): StoreDialect {
  return {
    kind: 'sqlite',
    description: `SQLite database ${file}`,
      createKyselyDialect: (): Dialect => new BerthSqliteDialect(file),
    createWriterDialect: (): Dialect => sqliteWriterDialect(file),
    prepare: () => Promise.resolve(undefined),
    // The migrator's own bookkeeping statements run outside transactions; retried as a whole.
    retryLocked: (attempt) => retryWhileBusy(attempt),
  };
}
