/**
 * SQLite through better-sqlite3: the embedded default (`BERTH_HOME/berth.db`).
 *
 * Changes to Kysely's stock SQLite dialect make it safe for several processes sharing one file
 * (`berth serve` while the user runs `berth register`, or two servers on one home):
 * - transactions start with `BEGIN IMMEDIATE`, so a writer takes the write lock up front instead
 *   of failing when it later upgrades a stale read snapshot;
 * - a statement that finds the database locked by another connection is tried again, after an
 *   async sleep with backoff, until the lock wait runs out (statements inside a transaction are
 *   not: the transaction already holds the write lock); better-sqlite3 waits synchronously, so
 *   the event loop's connection never waits inside SQLite (busy timeout 0) and keeps serving,
 *   and while one statement sleeps others (reads) take their turn on the connection;
 * - a wait that runs out is BERTH_STORE_LOCKED (503), not a raw SQLITE_BUSY;
 * - DDL runs in transactions (SQLite supports it; Kysely's adapter is conservative), so
 *   migrations are atomic and two processes opening a fresh database do not both create tables.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { Errors } from '../core/errors.js';
import type { StoreDialect } from './store-dialect.js';
import { sqliteWriterDialect } from './sqlite-writer-dialect.js';

/** How long a statement waits in all for another connection's lock, by default, in ms. */
const LOCK_WAIT_MS = 30_000;

/** How a connection waits for another connection's lock. */
export interface SqliteLockWait {
  /** The database, for messages. */
  readonly description: string;
  /** How long one statement waits in all before BERTH_STORE_LOCKED, in ms. */
  readonly waitMs: number;
}

/** True for SQLite's "database is locked" errors. */
function isSqliteBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** BERTH_STORE_LOCKED for a SQLITE_BUSY error; any other error as it is. */
export function lockedError(error: unknown, wait: SqliteLockWait): unknown {
  return isSqliteBusy(error) ? Errors.STORE_LOCKED.create(wait.description, wait.waitMs, { cause: error }) : error;
}

/**
 * Runs `attempt` until it does not fail with SQLITE_BUSY, sleeping between tries (async, so the
 * event loop turns; a caller holding the connection gives it up to `turns` while it sleeps); past
 * `wait.waitMs` it throws BERTH_STORE_LOCKED.
 */
async function retryWhileBusy<T>(attempt: () => T | Promise<T>, wait: SqliteLockWait, turns?: ConnectionTurns): Promise<T> {
  const deadline = Date.now() + wait.waitMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
    try {
      return await attempt();
    } catch (error) {
      const left = deadline - Date.now();
      if (!isSqliteBusy(error) || left <= 0) throw lockedError(error, wait);
      turns?.give();
      try {
        await new Promise((resolve) => setTimeout(resolve, Math.min(left, delay * (0.5 + Math.random()))));
      } finally {
        await turns?.take();
      }
    }
  }
}

/** Turns on the one connection: a caller holds it from acquiring to releasing it. */
class ConnectionTurns {
  #current: Promise<void> | undefined;
  #release: (() => void) | undefined;

  async take(): Promise<void> {
    while (this.#current) await this.#current;
    this.#current = new Promise((resolve) => (this.#release = resolve));
  }

  give(): void {
    const release = this.#release;
    this.#current = undefined;
    this.#release = undefined;
    release?.();
  }
}

/**
 * The driver's one connection. A statement outside a transaction (and a transaction's BEGIN
 * IMMEDIATE) that finds the file locked is tried again after an async sleep, during which the
 * connection goes to whoever else is waiting for it (reads, which WAL lets run beside another
 * process's write, need not wait for a write that waits); inside a transaction, which holds the
 * write lock since its BEGIN IMMEDIATE, a statement runs once.
 */
class LockWaitingConnection implements DatabaseConnection {
  inTransaction = false;
  constructor(
    readonly db: Database.Database,
    readonly turns: ConnectionTurns,
    readonly wait: SqliteLockWait,
  ) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    if (!this.inTransaction) return this.whenUnlocked(() => this.run<R>(compiled));
    try {
      return this.run<R>(compiled);
    } catch (error) {
      throw lockedError(error, this.wait);
    }
  }

  /** Runs `attempt` (the caller holding the connection) until the file is not locked. */
  whenUnlocked<T>(attempt: () => T): Promise<T> {
    return retryWhileBusy(attempt, this.wait, this.turns);
  }

  /** One statement, as Kysely's own SQLite driver runs it. */
  run<R>(compiled: CompiledQuery): QueryResult<R> {
    const stmt = this.db.prepare(compiled.sql);
    if (stmt.reader) return { rows: stmt.all(compiled.parameters) as R[] };
    const { changes, lastInsertRowid } = stmt.run(compiled.parameters);
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
  }

  async *streamQuery<R>(compiled: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const stmt = this.db.prepare(compiled.sql);
    if (!stmt.reader) throw new Error('only reading statements stream');
    for (const row of stmt.iterate(compiled.parameters)) yield { rows: [row as R] };
  }
}

/** Kysely's SQLite driver, with BEGIN IMMEDIATE and waits for other processes' locks. */
class LockWaitingSqliteDriver implements Driver {
  readonly #turns = new ConnectionTurns();
  #connection: LockWaitingConnection | undefined;

  constructor(
    private readonly file: string,
    private readonly wait: SqliteLockWait,
  ) {}

  async init(): Promise<void> {
    const db = await openSqliteDatabase(this.file, { ...this.wait, busyTimeoutMs: 0 });
    this.#connection = new LockWaitingConnection(db, this.#turns, this.wait);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#turns.take();
    return this.#connection!;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as LockWaitingConnection;
    await c.whenUnlocked(() => c.run(CompiledQuery.raw('begin immediate')));
    c.inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    // A failed commit leaves the transaction open; Kysely rolls it back next.
    await connection.executeQuery(CompiledQuery.raw('commit'));
    (connection as LockWaitingConnection).inTransaction = false;
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await connection.executeQuery(CompiledQuery.raw('rollback'));
    } finally {
      (connection as LockWaitingConnection).inTransaction = false;
    }
  }

  async releaseConnection(): Promise<void> {
    this.#turns.give();
  }

  async destroy(): Promise<void> {
    this.#connection?.db.close();
    this.#connection = undefined;
  }
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/** Kysely's SQLite dialect with the driver above and transactional DDL. */
function berthSqliteDialect(file: string, wait: SqliteLockWait): Dialect {
  return {
    createAdapter: (): DialectAdapter => new TransactionalDdlSqliteAdapter(),
    createDriver: (): Driver => new LockWaitingSqliteDriver(file, wait),
    createQueryCompiler: (): QueryCompiler => new SqliteQueryCompiler(),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    createIntrospector: (db: Kysely<any>): DatabaseIntrospector => new SqliteIntrospector(db),
  };
}

/**
 * Opens a connection with Berth's settings. `busyTimeoutMs` is how long a statement blocks its
 * thread inside SQLite on another connection's lock before SQLITE_BUSY: 0 on the event loop,
 * where every wait is an async retry; the lock wait in a worker thread, which may block.
 */
export async function openSqliteDatabase(file: string, options: SqliteLockWait & { readonly busyTimeoutMs: number }): Promise<Database.Database> {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { timeout: options.busyTimeoutMs });
  try {
    // WAL lets readers (servers polling for alias moves) run while a writer registers; FULL
    // synchronous makes a committed version survive power loss, at a cost only writes pay.
    // Switching a new file to WAL needs a moment's exclusive lock: retried like a statement.
    await retryWhileBusy(async () => db.pragma('journal_mode = WAL'), options);
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** Settings of the SQLite dialect. */
export interface SqliteStoreOptions {
  /** How long a statement waits for another connection's lock, in ms; default {@link LOCK_WAIT_MS}. */
  readonly lockWaitMs?: number | undefined;
}

/** The SQLite dialect for the database file at `file` (created with its folder if missing). */
export function sqliteStoreDialect(file: string, options: SqliteStoreOptions = {}): StoreDialect {
  const description = `SQLite database ${file}`;
  const wait: SqliteLockWait = { description, waitMs: options.lockWaitMs ?? LOCK_WAIT_MS };
  return {
    kind: 'sqlite',
    description,
    createKyselyDialect: (): Dialect => berthSqliteDialect(file, wait),
    createWriterDialect: (): Dialect => sqliteWriterDialect(file, wait),
    prepare: () => Promise.resolve(undefined),
  };
}

