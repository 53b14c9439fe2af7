/**
 * The monitor's windows in the metadata database: one row per (model, version, window start,
 * replica, role), so replicas never contend, and a version's shadow copies never mix with the
 * traffic it answered. The queries are portable Kysely, the same on SQLite and
 * PostgreSQL; sketches travel as the JSON text the monitor made of them.
 */
import type { Kysely } from 'kysely';
import { isoTime as iso } from './iso-time.js';
import type { StoreTables } from './store-tables.js';

/** Whose traffic a window holds: requests the version answered, or copies it ran as a shadow. */
export type WindowRole = 'served' | 'shadow';

/** A window's counts and its latency sketch (JSON text). */
export interface WindowCountsRecord {
  readonly version: string;
  /** Window start, epoch ms. */
  readonly start: number;
  readonly windowMs: number;
  readonly requests: number;
  readonly rows: number;
  readonly clientErrors: number;
  readonly serverErrors: number;
  readonly latency: string;
}

/** A whole window: counts, latency and its feature and output sketches (JSON text). */
export interface WindowRecord extends WindowCountsRecord {
  readonly sketches: string;
}

/** A window as one replica writes it. */
export interface WindowWrite extends WindowRecord {
  readonly model: string;
  /** Default `served`. */
  readonly role?: WindowRole | undefined;
}

/** Which windows to read: one model, optionally one version, starts in [from, to) (epoch ms), of one role. */
export interface WindowQuery {
  readonly model: string;
  readonly version?: string | undefined;
  readonly from: number;
  readonly to: number;
  /** Default `served`: a model's traffic is what it answered; shadow copies are read only when asked for. */
  readonly role?: WindowRole | undefined;
}

/** Combines a stored window with the one being written over it (the monitor's merge). */
export type MergeWindow = (stored: WindowRecord, incoming: WindowRecord) => Pick<WindowRecord, 'requests' | 'rows' | 'clientErrors' | 'serverErrors' | 'latency' | 'sketches'>;

/** The monitor's windows. */
export interface MonitorWindowStore {
  /** Writes windows as `replica`'s in one transaction; a window already stored is replaced by `merge` of both. */
  write(replica: string, windows: readonly WindowWrite[], merge: MergeWindow, updatedAt: number): Promise<void>;
  /** Counts and latencies of the windows a query selects, oldest first. */
  readCounts(query: WindowQuery): Promise<WindowCountsRecord[]>;
  /** Visits the windows a query selects, oldest first, reading `pageRows` rows per query. */
  forEach(query: WindowQuery, visit: (window: WindowRecord) => void, pageRows?: number): Promise<void>;
  /** Rows served per version of a model in windows starting in [from, to) (served windows only). */
  rowsByVersion(model: string, from: number, to: number): Promise<Map<string, number>>;
  /** Models with windows starting in [from, to), sorted. */
  models(from: number, to: number): Promise<string[]>;
  /** Deletes windows that started before `before`; returns how many. */
  deleteBefore(before: number): Promise<number>;
}

/** Windows read per query while visiting, by default. */
const PAGE_ROWS = 100;

/** The window store over a Kysely database of either dialect. */
export class KyselyMonitorWindowStore implements MonitorWindowStore {
  readonly #db: Kysely<StoreTables>;

  constructor(db: Kysely<StoreTables>) {
    this.#db = db;
  }

  async write(replica: string, windows: readonly WindowWrite[], merge: MergeWindow, updatedAt: number): Promise<void> {
    if (windows.length === 0) return;
    const updated = iso(updatedAt);
    await this.#db.transaction().execute(async (trx) => {
      for (const window of windows) {
        const key = { model: window.model, version: window.version, start_at: iso(window.start), replica, role: window.role ?? 'served' };
        const existing = await trx
          .selectFrom('monitor_windows')
          .selectAll()
          .where('model', '=', key.model)
          .where('version', '=', key.version)
          .where('start_at', '=', key.start_at)
          .where('replica', '=', replica)
          .where('role', '=', key.role)
          .executeTakeFirst();
        const data = existing === undefined ? window : merge(recordOf(existing), window);
        const values = {
          window_ms: window.windowMs,
          requests: data.requests,
          rows: data.rows,
          client_errors: data.clientErrors,
          server_errors: data.serverErrors,
          latency: data.latency,
          sketches: data.sketches,
          updated_at: updated,
        };
        if (existing === undefined) await trx.insertInto('monitor_windows').values({ ...key, ...values }).execute();
        else {
          await trx
            .updateTable('monitor_windows')
            .set(values)
            .where('model', '=', key.model)
            .where('version', '=', key.version)
            .where('start_at', '=', key.start_at)
            .where('replica', '=', replica)
            .where('role', '=', key.role)
            .execute();
        }
      }
    });
  }

  async readCounts(query: WindowQuery): Promise<WindowCountsRecord[]> {
    let select = this.#db
      .selectFrom('monitor_windows')
      .select(['version', 'start_at', 'window_ms', 'requests', 'rows', 'client_errors', 'server_errors', 'latency'])
      .where('model', '=', query.model)
      .where('role', '=', query.role ?? 'served')
      .where('start_at', '>=', iso(query.from))
      .where('start_at', '<', iso(query.to));
    if (query.version !== undefined) select = select.where('version', '=', query.version);
    const rows = await select.orderBy('start_at').execute();
    return rows.map(countsOf);
  }

  async forEach(query: WindowQuery, visit: (window: WindowRecord) => void, pageRows = PAGE_ROWS): Promise<void> {
    let after: { start_at: string; version: string; replica: string } | undefined;
    for (;;) {
      let select = this.#db
        .selectFrom('monitor_windows')
        .selectAll()
        .where('model', '=', query.model)
        .where('role', '=', query.role ?? 'served')
        .where('start_at', '>=', iso(query.from))
        .where('start_at', '<', iso(query.to));
      if (query.version !== undefined) select = select.where('version', '=', query.version);
      if (after !== undefined) {
        const last = after;
        select = select.where((eb) =>
          eb.or([
            eb('start_at', '>', last.start_at),
            eb.and([eb('start_at', '=', last.start_at), eb('version', '>', last.version)]),
            eb.and([eb('start_at', '=', last.start_at), eb('version', '=', last.version), eb('replica', '>', last.replica)]),
          ]),
        );
      }
      const rows = await select.orderBy('start_at').orderBy('version').orderBy('replica').limit(pageRows).execute();
      for (const row of rows) visit(recordOf(row));
      if (rows.length < pageRows) return;
      const last = rows[rows.length - 1]!;
      after = { start_at: last.start_at, version: last.version, replica: last.replica };
    }
  }

  async rowsByVersion(model: string, from: number, to: number): Promise<Map<string, number>> {
    const rows = await this.#db
      .selectFrom('monitor_windows')
      .select(['version', 'rows'])
      .where('model', '=', model)
      .where('role', '=', 'served')
      .where('start_at', '>=', iso(from))
      .where('start_at', '<', iso(to))
      .execute();
    const totals = new Map<string, number>();
    for (const row of rows) totals.set(row.version, (totals.get(row.version) ?? 0) + Number(row.rows));
    return totals;
  }

  async models(from: number, to: number): Promise<string[]> {
    const rows = await this.#db.selectFrom('monitor_windows').select('model').distinct().where('role', '=', 'served').where('start_at', '>=', iso(from)).where('start_at', '<', iso(to)).execute();
    return rows.map((r) => r.model).sort();
  }

  async deleteBefore(before: number): Promise<number> {
    const result = await this.#db.deleteFrom('monitor_windows').where('start_at', '<', iso(before)).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function countsOf(row: Pick<StoreTables['monitor_windows'], 'version' | 'start_at' | 'window_ms' | 'requests' | 'rows' | 'client_errors' | 'server_errors' | 'latency'>): WindowCountsRecord {
  return {
    version: row.version,
    start: Date.parse(row.start_at),
    windowMs: Number(row.window_ms),
    requests: Number(row.requests),
    rows: Number(row.rows),
    clientErrors: Number(row.client_errors),
    serverErrors: Number(row.server_errors),
    latency: row.latency,
  };
}

function recordOf(row: StoreTables['monitor_windows']): WindowRecord {
  return { ...countsOf(row), sketches: row.sketches };
}
