/**
 * A Kysely dialect for SQLite whose one connection lives in a worker thread. better-sqlite3 is
 * synchronous, so a large write on the event loop's connection stalls every request for its
 * duration; the monitor's prediction log (thousands of rows every second under load) writes
 * through this dialect instead. No library offers an off-thread better-sqlite3 driver for
 * Kysely, hence this small one; statements, transactions and results follow Kysely's own
 * SQLite driver, and the queries are compiled by Kysely's SQLite compiler on the main thread.
 *
 * The thread's connection is a second connection to the file, so it takes part in SQLite's file
 * locking like another process would: transactions begin IMMEDIATE, and every statement waits
 * for another connection's lock inside SQLite (busy timeout), blocking the thread, never the
 * event loop, for up to the lock wait; a wait that runs out is BERTH_STORE_LOCKED.
 */
import { Worker } from 'node:worker_threads';
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
import { type SqliteLockWait, lockedError } from './sqlite-store-dialect.js';
import type { WriterReply, WriterRequest } from './sqlite-writer-protocol.js';

type Pending = { resolve(reply: WriterReply): void; reject(error: Error): void };
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

class WriterConnection implements DatabaseConnection {
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #failure: Error | undefined;

  constructor(
    readonly thread: Worker,
    readonly wait: SqliteLockWait,
  ) {
    thread.on('message', (reply: WriterReply) => {
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      pending?.resolve(reply);
    });
    const fail = (error: Error) => {
      this.#failure = error;
      for (const p of this.#pending.values()) p.reject(error);
      this.#pending.clear();
    };
    thread.on('error', fail);
    thread.on('exit', (code) => fail(new Error(`the SQLite writer thread exited (code ${code})`)));
  }

  send(request: DistributiveOmit<WriterRequest, 'id'>): Promise<WriterReply> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise<WriterReply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.thread.postMessage({ ...request, id } as WriterRequest);
    }).then((reply) => {
      if (!reply.error) return reply;
      const error = Object.assign(new Error(reply.error.message), reply.error.code ? { code: reply.error.code } : {});
      // The thread's own waits (opening the file) end in BERTH_STORE_LOCKED, its statements' in SQLITE_BUSY.
      if (reply.error.code === Errors.STORE_LOCKED.code) throw Errors.STORE_LOCKED.create(this.wait.description, this.wait.waitMs, { cause: error });
      throw lockedError(error, this.wait);
    });
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const reply = await this.send({ op: 'query', sql: compiled.sql, parameters: compiled.parameters });
    if (reply.changes === undefined) return { rows: reply.rows as R[] };
    return { rows: [], numAffectedRows: BigInt(reply.changes), ...(reply.lastInsertRowid !== undefined ? { insertId: reply.lastInsertRowid } : {}) };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('the SQLite writer connection does not stream queries');
  }
}

class WriterDriver implements Driver {
  #connection: WriterConnection | undefined;
  /** SQLite has one connection here: callers take turns, a transaction holding it throughout. */
  #turn: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;

  constructor(
    private readonly file: string,
    private readonly wait: SqliteLockWait,
  ) {}

  async init(): Promise<void> {
    const thread = new Worker(new URL('./sqlite-writer-thread.js', import.meta.url), { workerData: { file: this.file, wait: this.wait } });
    // The writer never keeps a process alive on its own; the store closes it.
    thread.unref();
    this.#connection = new WriterConnection(thread, this.wait);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#turn;
    let release!: () => void;
    this.#turn = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.#release = release;
    return this.#connection!;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  async destroy(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    if (!connection) return;
    await connection.send({ op: 'close' }).catch(() => undefined);
    await connection.thread.terminate();
  }
}

/**
 * The dialect for the SQLite file at `file`, with its connection in a worker thread; `wait` is
 * how long its statements wait for another connection's lock.
 */
export function sqliteWriterDialect(file: string, wait: SqliteLockWait): Dialect {
  return {
    createAdapter: (): DialectAdapter => new SqliteAdapter(),
    createDriver: (): Driver => new WriterDriver(file, wait),
    createQueryCompiler: (): QueryCompiler => new SqliteQueryCompiler(),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    createIntrospector: (db: Kysely<any>): DatabaseIntrospector => new SqliteIntrospector(db),
  };
}
