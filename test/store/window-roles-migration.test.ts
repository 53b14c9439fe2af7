/**
 * Migration 0007 on a database that already holds windows: every stored window becomes `served`,
 * and afterwards one version can hold a served and a shadow window of the same start and replica.
 */
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { describe, expect, it } from 'vitest';
import { monitorTables } from '../../src/store/migrations/0002-monitor.js';
import { windowRoles } from '../../src/store/migrations/0007-window-roles.js';

const window = { model: 'm', version: '1', start_at: '2025-01-01T00:00:00.000Z', replica: 'r', window_ms: 60_000, client_errors: 0, server_errors: 0, latency: '{}', sketches: '{}', updated_at: '2025-01-01T00:01:00.000Z' };

describe('migration 0007 (window roles)', () => {
  it('keeps stored windows as served traffic and lets a shadow window sit beside them', async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the schema between migrations
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
    try {
      await monitorTables.up(db, 'sqlite');
      await db.insertInto('monitor_windows').values({ ...window, requests: 3, rows: 3 }).execute();
      await windowRoles.up(db, 'sqlite');
      expect(await db.selectFrom('monitor_windows').select(['model', 'version', 'role', 'requests', 'updated_at']).execute()).toEqual([
        { model: 'm', version: '1', role: 'served', requests: 3, updated_at: window.updated_at },
      ]);
      await db.insertInto('monitor_windows').values({ ...window, role: 'shadow', requests: 1, rows: 1 }).execute();
      const rows = await db.selectFrom('monitor_windows').select(['role', 'requests']).orderBy('role').execute();
      expect(rows).toEqual([
        { role: 'served', requests: 3 },
        { role: 'shadow', requests: 1 },
      ]);
      // The key still refuses a second window of the same role.
      await expect(db.insertInto('monitor_windows').values({ ...window, role: 'shadow', requests: 1, rows: 1 }).execute()).rejects.toThrow(/UNIQUE/);
    } finally {
      await db.destroy();
    }
  });
});
