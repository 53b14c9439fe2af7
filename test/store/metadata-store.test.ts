/**
 * The metadata store on every backend: migrations, idempotent and concurrent opening, the
 * dialect choice by URL, and the errors for bad URLs, unreachable servers and newer schemas.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { Errors } from '../../src/core/errors.js';
import { type MetadataStoreOptions, STORE_MIGRATIONS, openMetadataStore, storeDialectFor } from '../../src/store/index.js';
import { STORE_BACKENDS, type StoreLocation } from '../helpers/store-backends.js';

for (const backend of STORE_BACKENDS) {
  describe.skipIf(backend.skip !== undefined)(`metadata store on ${backend.name}${backend.skip ? ` (${backend.skip})` : ''}`, () => {
    const locations: StoreLocation[] = [];
    const location = (): MetadataStoreOptions => {
      const l = backend.create();
      locations.push(l);
      return { home: l.home, databaseUrl: l.databaseUrl, schema: l.schema };
    };
    afterEach(async () => {
      await Promise.all(locations.splice(0).map((l) => l.cleanup()));
    });

    it('creates every table and the change counter on first open', async () => {
      const store = await openMetadataStore(location());
      try {
        expect(store.kind).toBe(backend.name);
        for (const table of ['models', 'versions', 'version_files', 'aliases', 'audit_log'] as const) {
          expect(await store.db.selectFrom(table).selectAll().execute()).toEqual([]);
        }
        expect(await store.db.selectFrom('change_counter').selectAll().execute()).toEqual([{ id: 1, seq: 0 }]);
      } finally {
        await store.close();
      }
    });

    it('reopens without migrating again and keeps the data', async () => {
      const options = location();
      const first = await openMetadataStore(options);
      await first.db.insertInto('models').values({ name: 'm', created_at: '2025-01-01T00:00:00.000Z', last_version: 4 }).execute();
      await first.close();
      const second = await openMetadataStore(options);
      try {
        expect(await second.db.selectFrom('models').select(['name', 'last_version']).execute()).toEqual([{ name: 'm', last_version: 4 }]);
        expect(await second.db.selectFrom('change_counter').select('seq').execute()).toEqual([{ seq: 0 }]);
      } finally {
        await second.close();
      }
    });

    it.skipIf(backend.name !== 'postgres')('opens at most store.databasePoolSize connections to PostgreSQL', async () => {
      for (const poolSize of [2, 5]) {
        const store = await openMetadataStore({ ...location(), poolSize });
        try {
          // More queries at once than the pool holds: each waits for a connection, none opens a new one.
          const pids = await Promise.all(
            Array.from({ length: poolSize + 4 }, () => sql<{ pid: number }>`select pg_backend_pid() as pid, pg_sleep(0.05)`.execute(store.db).then((r) => r.rows[0]!.pid)),
          );
          expect(new Set(pids).size).toBe(poolSize);
        } finally {
          await store.close();
        }
      }
    });

    it('lets several connections open a fresh database at once', async () => {
      const options = location();
      const stores = await Promise.all([1, 2, 3, 4].map(() => openMetadataStore(options)));
      try {
        for (const store of stores) expect(await store.db.selectFrom('change_counter').select('seq').execute()).toEqual([{ seq: 0 }]);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it('refuses a database migrated by a newer Berth', async () => {
      const options = location();
      const newer = await openMetadataStore({ ...options, migrations: { ...STORE_MIGRATIONS, '9999-from-the-future': { up: async () => undefined } } });
      await newer.close();
      const error = await openMetadataStore(options).catch((e: unknown) => e);
      expect(Errors.STORE_MIGRATION_FAILED.is(error), String(error)).toBe(true);
      expect((error as Error).message).toContain('9999-from-the-future');
    });

    it('rolls back a migration that fails half-way, leaving nothing behind', async () => {
      const options = location();
      const failing = {
        ...STORE_MIGRATIONS,
        '0002-broken': {
          async up(db: Parameters<(typeof STORE_MIGRATIONS)['0001-registry']['up']>[0]) {
            await db.schema.createTable('half_made').addColumn('x', 'integer').execute();
            throw new Error('boom');
          },
        },
      };
      const error = await openMetadataStore({ ...options, migrations: failing }).catch((e: unknown) => e);
      expect(Errors.STORE_MIGRATION_FAILED.is(error), String(error)).toBe(true);
      expect((error as Error).message).toContain('0002-broken');
      const store = await openMetadataStore(options);
      try {
        const tables = (await store.db.introspection.getTables()).map((t) => t.name);
        expect(tables).toContain('models');
        expect(tables).not.toContain('half_made');
      } finally {
        await store.close();
      }
    });
  });
}

describe('choosing the database', () => {
  it('defaults to BERTH_HOME/berth.db, creating the folder', async () => {
    const home = join(STORE_BACKENDS[0]!.create().home, 'nested', 'home');
    const store = await openMetadataStore({ home });
    await store.close();
    expect(store.kind).toBe('sqlite');
    expect(existsSync(join(home, 'berth.db'))).toBe(true);
  });

  it('takes sqlite: URLs for a file elsewhere', async () => {
    const dir = STORE_BACKENDS[0]!.create().home;
    const store = await openMetadataStore({ home: join(dir, 'unused'), databaseUrl: `sqlite:${join(dir, 'other.db')}` });
    await store.close();
    expect(existsSync(join(dir, 'other.db'))).toBe(true);
    expect(existsSync(join(dir, 'unused', 'berth.db'))).toBe(false);
  });

  it('chooses PostgreSQL for postgres:// and postgresql:// URLs', () => {
    expect(storeDialectFor({ home: '.', databaseUrl: 'postgres://u@h/db' }).kind).toBe('postgres');
    expect(storeDialectFor({ home: '.', databaseUrl: 'postgresql://u:secret@h:5433/db' }).description).not.toContain('secret');
  });

  it('refuses other URLs and bad schema names with BERTH_STORE_DATABASE_URL_INVALID', () => {
    for (const options of [
      { home: '.', databaseUrl: 'mysql://u@h/db' },
      { home: '.', databaseUrl: 'sqlite:' },
      { home: '.', databaseUrl: 'postgres://u@h/db', schema: 'Robert"); drop table' },
    ]) {
      expect(() => storeDialectFor(options)).toThrow(expect.objectContaining({ code: 'BERTH_STORE_DATABASE_URL_INVALID' }));
    }
  });

  it('reports an unreachable PostgreSQL as BERTH_STORE_UNAVAILABLE without the password', async () => {
    const error = await openMetadataStore({ home: '.', databaseUrl: 'postgres://berth:hunter2@127.0.0.1:1/nothing' }).catch((e: unknown) => e);
    expect(Errors.STORE_UNAVAILABLE.is(error), String(error)).toBe(true);
    expect((error as Error).message).toContain('127.0.0.1:1');
    expect((error as Error).message).not.toContain('hunter2');
  });
});
