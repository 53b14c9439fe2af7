/**
 * Entry point of the SQLite writer thread (see sqlite-writer-dialect.ts): one better-sqlite3
 * connection that runs the statements the main thread sends, so that large batched writes block
 * this thread instead of the event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { type SqliteLockWait, openSqliteDatabase } from './sqlite-store-dialect.js';
import type { WriterReply, WriterRequest } from './sqlite-writer-protocol.js';

/** Prepared statements kept for reuse (a writer runs the same few statements over and over). */
const STATEMENT_CACHE = 64;

const port = parentPort;
if (!port) throw new Error('sqlite-writer-thread must run in a worker thread');
const { file, wait } = workerData as { file: string; wait: SqliteLockWait };
// Blocking on another connection's lock is harmless here (it is not the event loop), so this
// connection waits inside SQLite, as long as a statement may.
const ready = openSqliteDatabase(file, { ...wait, busyTimeoutMs: wait.waitMs });
const statements = new Map<string, Database.Statement>();

port.on('message', (request: WriterRequest) => {
  ready.then(
    (db) => port.postMessage(run(db, request)),
    (error: unknown) => port.postMessage(failure(request.id, error)),
  );
});

function run(db: Database.Database, request: WriterRequest): WriterReply {
  try {
    if (request.op === 'close') {
      db.close();
      return { id: request.id, rows: [] };
    }
    const stmt = prepare(db, request.sql);
    // better-sqlite3 binds Buffers, not the Uint8Arrays that structured cloning turns them into.
    const parameters = request.parameters.map((p) => (p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p));
    if (stmt.reader) return { id: request.id, rows: stmt.all(parameters) };
    const { changes, lastInsertRowid } = stmt.run(parameters);
    return { id: request.id, rows: [], changes, lastInsertRowid: BigInt(lastInsertRowid) };
  } catch (error) {
    return failure(request.id, error);
  }
}

function prepare(db: Database.Database, sql: string): Database.Statement {
  let stmt = statements.get(sql);
  if (!stmt) {
    stmt = db.prepare(sql);
    if (statements.size >= STATEMENT_CACHE) statements.delete(statements.keys().next().value!);
    statements.set(sql, stmt);
  }
  return stmt;
}

function failure(id: number, error: unknown): WriterReply {
  const e = error as { message?: unknown; code?: unknown };
  return { id, rows: [], error: { message: String(e?.message ?? error), ...(typeof e?.code === 'string' ? { code: e.code } : {}) } };
}
