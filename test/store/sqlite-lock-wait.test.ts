/**
 * A SQLite metadata store whose file another process holds the write lock of (a `berth register`
 * mid-write while `berth serve` runs on the same BERTH_HOME): statements wait for the lock without
 * blocking the event loop, then run; a wait that runs out is BERTH_STORE_LOCKED.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { Errors } from '../../dist/core/errors.js';
import { type MetadataStore, SQLITE_FILE, STORE_MIGRATIONS, openMetadataStore } from '../../dist/store/index.js';
import { tracked } from '../helpers/server.js';
import { type SqliteLockHolder, holdSqliteWriteLock } from '../helpers/sqlite-lock-holder.js';

const homes: string[] = [];
const stores: MetadataStore[] = [];
const holders: SqliteLockHolder[] = [];

async function open(lockWaitMs?: number): Promise<{ store: MetadataStore; file: string }> {
  const home = mkdtempSync(join(tmpdir(), 'berth-sqlite-lock-'));
  homes.push(home);
  const store = await openMetadataStore({ home, lockWaitMs });
  stores.push(store);
  return { store, file: join(home, SQLITE_FILE) };
}

async function hold(file: string): Promise<SqliteLockHolder> {
  const holder = await holdSqliteWriteLock(file);
  holders.push(holder);
  return holder;
}

const model = (name: string) => ({ name, created_at: '2026-01-01T00:00:00.000Z', last_version: 0 });

/** Lets the event loop run until `turns` timer callbacks have fired. */
async function timerTurns(turns: number): Promise<number> {
  let fired = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (++fired >= turns) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  return fired;
}

afterEach(async () => {
  await Promise.all(holders.splice(0).map((h) => h.release().catch(() => undefined)));
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

describe('a SQLite store whose file another process has locked', () => {
  it('never waits inside SQLite on the event loop; its writer thread does, for the lock wait', async () => {
    const { store } = await open(45_000);
    const busyTimeout = async (db: typeof store.db) => (await sql<{ timeout: number }>`pragma busy_timeout`.execute(db)).rows[0]!.timeout;
    // better-sqlite3 waits for a lock synchronously: any busy timeout here would stall every request.
    expect(await busyTimeout(store.db)).toBe(0);
    expect(await busyTimeout(store.writer())).toBe(45_000);
  });

  it('runs single statements and transactions once the lock is released, the event loop turning meanwhile', async () => {
    const { store, file } = await open();
    const holder = await hold(file);

    const single = tracked(store.db.insertInto('models').values(model('single')).execute());
    const update = tracked(store.db.updateTable('change_counter').set({ seq: 7 }).where('id', '=', 1).execute());
    const transaction = tracked(store.db.transaction().execute((trx) => trx.insertInto('models').values(model('in-transaction')).execute()));
    const writer = tracked(store.writer().transaction().execute((trx) => trx.insertInto('models').values(model('by-writer')).execute()));
    // Reads do not wait for a writer (WAL).
    expect(await store.db.selectFrom('models').select('name').execute()).toEqual([]);

    expect(await timerTurns(50)).toBe(50);
    expect([single, update, transaction, writer].map((w) => w.settled())).toEqual([false, false, false, false]);

    await holder.release();
    await Promise.all([single.promise, update.promise, transaction.promise, writer.promise]);
    expect((await store.db.selectFrom('models').select('name').orderBy('name').execute()).map((r) => r.name)).toEqual(['by-writer', 'in-transaction', 'single']);
    expect(await store.db.selectFrom('change_counter').select('seq').execute()).toEqual([{ seq: 7 }]);
  });

  it('gives up after the lock wait with BERTH_STORE_LOCKED, writing nothing', async () => {
    const { store, file } = await open(200);
    const holder = await hold(file);

    const failures = await Promise.all([
      store.db.insertInto('models').values(model('single')).execute(),
      store.db.transaction().execute((trx) => trx.insertInto('models').values(model('in-transaction')).execute()),
      store.writer().transaction().execute((trx) => trx.insertInto('models').values(model('by-writer')).execute()),
    ].map((p) => p.then(() => undefined, (e: unknown) => e)));
    for (const error of failures) {
      expect(Errors.STORE_LOCKED.is(error), String(error)).toBe(true);
      expect((error as Error).message).toContain(`SQLite database ${file} is locked by another process`);
      expect((error as Error).message).toContain('200 ms');
    }
    expect((failures[0] as { httpStatus: number }).httpStatus).toBe(503);

    await holder.release();
    await store.db.insertInto('models').values(model('after')).execute();
    expect((await store.db.selectFrom('models').select('name').execute()).map((r) => r.name)).toEqual(['after']);
  });

  it('opens without the write lock when every migration has run, and reads', async () => {
    const { store, file } = await open();
    await store.db.insertInto('models').values(model('before')).execute();
    const holder = await hold(file);

    // A short lock wait: had opening waited for the lock, it would fail.
    const reader = await openMetadataStore({ home: join(file, '..'), lockWaitMs: 200 });
    stores.push(reader);
    expect((await reader.db.selectFrom('models').select('name').execute()).map((r) => r.name)).toEqual(['before']);
    const write = await reader.db.insertInto('models').values(model('refused')).execute().then(() => undefined, (e: unknown) => e);
    expect(Errors.STORE_LOCKED.is(write), String(write)).toBe(true);

    await holder.release();
    await reader.db.insertInto('models').values(model('after')).execute();
    expect((await store.db.selectFrom('models').select('name').orderBy('name').execute()).map((r) => r.name)).toEqual(['after', 'before']);
  });

  it('takes the write lock to run a pending migration: waits for it, then BERTH_STORE_LOCKED', async () => {
    const names = Object.keys(STORE_MIGRATIONS).sort();
    const older = Object.fromEntries(names.slice(0, -1).map((name) => [name, STORE_MIGRATIONS[name]!]));
    const home = mkdtempSync(join(tmpdir(), 'berth-sqlite-lock-'));
    homes.push(home);
    // A home an older Berth migrated: the last migration is pending.
    await (await openMetadataStore({ home, migrations: older })).close();
    const holder = await hold(join(home, SQLITE_FILE));

    const refused = await openMetadataStore({ home, lockWaitMs: 200 }).then((s) => stores.push(s), (e: unknown) => e);
    expect(Errors.STORE_LOCKED.is(refused), String(refused)).toBe(true);
    expect((refused as Error).message).toContain('200 ms');
    // The older Berth still opens without waiting: nothing it knows is pending.
    stores.push(await openMetadataStore({ home, lockWaitMs: 200, migrations: older }));

    const waiting = tracked(openMetadataStore({ home }));
    expect(await timerTurns(20)).toBe(20);
    expect(waiting.settled()).toBe(false);
    await holder.release();
    const migrated = await waiting.promise;
    stores.push(migrated);
    const ran = await sql<{ name: string }>`select name from berth_migration order by name`.execute(migrated.db);
    expect(ran.rows.map((r) => r.name)).toEqual(names);
  });
});
