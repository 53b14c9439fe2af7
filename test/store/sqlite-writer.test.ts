/** The store's background writer: on SQLite a connection in a worker thread, seen by the main one. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { type MetadataStore, openMetadataStore } from '../../dist/store/index.js';

let store: MetadataStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe('MetadataStore.writer on SQLite', () => {
  it('writes in a transaction off the main connection, and the main connection reads what it committed', async () => {
    store = await openMetadataStore({ home: mkdtempSync(join(tmpdir(), 'berth-writer-')) });
    const writer = store.writer();
    expect(writer).not.toBe(store.db);
    expect(store.writer()).toBe(writer);
    await writer.transaction().execute(async (trx) => {
      for (let i = 0; i < 100; i++) {
        await trx
          .insertInto('monitor_samples')
          .values({ model: 'm', request_id: `r${i}`, version: '1', at: '2026-11-22T00:00:00.000Z', protocol: 'predict', inputs: '[]', outputs: '[]' })
          .execute();
      }
    });
    const { count } = await store.db.selectFrom('monitor_samples').select(sql<number>`count(*)`.as('count')).executeTakeFirstOrThrow();
    expect(Number(count)).toBe(100);
    const read = await writer.selectFrom('monitor_samples').select('request_id').where('request_id', '=', 'r42').execute();
    expect(read).toEqual([{ request_id: 'r42' }]);
  });

  it("rolls back a failed transaction and reports SQLite's error with its code", async () => {
    store = await openMetadataStore({ home: mkdtempSync(join(tmpdir(), 'berth-writer-')) });
    const row = { model: 'm', request_id: 'same', version: '1', at: '2026-11-22T00:00:00.000Z', protocol: 'predict', inputs: '[]', outputs: '[]' };
    const failed = store
      .writer()
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('monitor_samples').values(row).execute();
        await trx.insertInto('monitor_samples').values(row).execute();
      });
    await expect(failed).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    expect(await store.db.selectFrom('monitor_samples').selectAll().execute()).toEqual([]);
    // The connection is usable after the failure.
    await store.writer().insertInto('monitor_samples').values(row).execute();
    expect(await store.db.selectFrom('monitor_samples').select('request_id').execute()).toEqual([{ request_id: 'same' }]);
  });
});
