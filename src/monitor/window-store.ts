/**
 * Windows in the metadata database: each replica writes its own rows (model, version, window
 * start, replica), so replicas never contend; a report reads every replica's rows for a range and
 * merges them. Writing a window that is already stored (a late request after its window was
 * flushed, or a restarted replica reusing its id) merges into the stored row.
 */
import { type Kysely } from 'kysely';
import { type StoreTables } from '../store/store-tables.js';
import { type KllSketchData } from './kll-sketch.js';
import { mergeMonitorWindows, type MonitorWindowData } from './monitor-window.js';
import { type WindowSketchesData } from './window-sketches.js';

/** One window of one version as a replica flushes it. */
export interface WindowToStore {
  readonly model: string;
  readonly version: string;
  /** Window start, epoch ms. */
  readonly start: number;
  readonly windowMs: number;
  readonly data: MonitorWindowData;
}

/** A stored window's counts and latencies (sketches left out: traffic reports do not need them). */
export interface StoredWindowCounts {
  readonly version: string;
  readonly start: number;
  readonly windowMs: number;
  readonly requests: number;
  readonly rows: number;
  readonly clientErrors: number;
  readonly serverErrors: number;
  readonly latency: KllSketchData;
}

/** A stored window in full. */
export interface StoredWindow extends StoredWindowCounts {
  readonly data: MonitorWindowData;
}

/** Which stored windows to read: one model, optionally one version, starts in [from, to). */
export interface WindowQuery {
  readonly model: string;
  readonly version?: string | undefined;
  readonly from: number;
  readonly to: number;
}

/** Writes windows as `replica`'s, merging into rows already stored; one transaction. */
export async function writeWindows(db: Kysely<StoreTables>, replica: string, windows: readonly WindowToStore[], now: number): Promise<void> {
  if (windows.length === 0) return;
  const updatedAt = new Date(now).toISOString();
  await db.transaction().execute(async (trx) => {
    for (const window of windows) {
      const key = { model: window.model, version: window.version, start_at: iso(window.start), replica };
      const existing = await trx
        .selectFrom('monitor_windows')
        .select(['requests', 'rows', 'client_errors', 'server_errors', 'latency', 'sketches'])
        .where('model', '=', key.model)
        .where('version', '=', key.version)
        .where('start_at', '=', key.start_at)
        .where('replica', '=', replica)
        .executeTakeFirst();
      const data = existing === undefined ? window.data : mergeMonitorWindows([dataOf(existing), window.data]);
      const values = {
        window_ms: window.windowMs,
        requests: data.requests,
        rows: data.rows,
        client_errors: data.clientErrors,
        server_errors: data.serverErrors,
        latency: JSON.stringify(data.latency),
        sketches: JSON.stringify(data.sketches),
        updated_at: updatedAt,
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
          .execute();
      }
    }
  });
}

/** Counts and latencies of the stored windows a query selects, oldest first. */
export async function readWindowCounts(db: Kysely<StoreTables>, query: WindowQuery): Promise<StoredWindowCounts[]> {
  let select = db
    .selectFrom('monitor_windows')
    .select(['version', 'start_at', 'window_ms', 'requests', 'rows', 'client_errors', 'server_errors', 'latency'])
    .where('model', '=', query.model)
    .where('start_at', '>=', iso(query.from))
    .where('start_at', '<', iso(query.to));
  if (query.version !== undefined) select = select.where('version', '=', query.version);
  const rows = await select.orderBy('start_at').execute();
  return rows.map((row) => ({ ...countsOf(row), latency: JSON.parse(row.latency) as KllSketchData }));
}

/**
 * Visits the stored windows a query selects, oldest first, reading a page of rows at a time and
 * parsing one row at a time, so that a report over a long range holds merged sketches rather than
 * the JSON of every window.
 */
export async function forEachWindow(db: Kysely<StoreTables>, query: WindowQuery, visit: (window: StoredWindow) => void): Promise<void> {
  let after: { start_at: string; version: string; replica: string } | undefined;
  for (;;) {
    let select = db
      .selectFrom('monitor_windows')
      .selectAll()
      .where('model', '=', query.model)
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
    const rows = await select.orderBy('start_at').orderBy('version').orderBy('replica').limit(PAGE_ROWS).execute();
    for (const row of rows) {
      const data = dataOf(row);
      visit({ ...countsOf(row), latency: data.latency, data });
    }
    if (rows.length < PAGE_ROWS) return;
    const last = rows[rows.length - 1]!;
    after = { start_at: last.start_at, version: last.version, replica: last.replica };
  }
}

/** Windows read per query while visiting. */
const PAGE_ROWS = 100;

/** Rows served per version of a model in [from, to), most first. */
export async function rowsByVersion(db: Kysely<StoreTables>, model: string, from: number, to: number): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('monitor_windows')
    .select(['version', 'rows'])
    .where('model', '=', model)
    .where('start_at', '>=', iso(from))
    .where('start_at', '<', iso(to))
    .execute();
  const totals = new Map<string, number>();
  for (const row of rows) totals.set(row.version, (totals.get(row.version) ?? 0) + Number(row.rows));
  return totals;
}

/** Models with stored windows starting in [from, to). */
export async function modelsWithWindows(db: Kysely<StoreTables>, from: number, to: number): Promise<string[]> {
  const rows = await db.selectFrom('monitor_windows').select('model').distinct().where('start_at', '>=', iso(from)).where('start_at', '<', iso(to)).execute();
  return rows.map((r) => r.model).sort();
}

/** Deletes windows that started before `before`; returns how many. */
export async function deleteWindowsBefore(db: Kysely<StoreTables>, before: number): Promise<number> {
  const result = await db.deleteFrom('monitor_windows').where('start_at', '<', iso(before)).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Epoch ms as the ISO 8601 text the store keeps times in. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function countsOf(row: {
  version: string;
  start_at: string;
  window_ms: number;
  requests: number;
  rows: number;
  client_errors: number;
  server_errors: number;
}): Omit<StoredWindowCounts, 'latency'> {
  return {
    version: row.version,
    start: Date.parse(row.start_at),
    windowMs: Number(row.window_ms),
    requests: Number(row.requests),
    rows: Number(row.rows),
    clientErrors: Number(row.client_errors),
    serverErrors: Number(row.server_errors),
  };
}

function dataOf(row: { requests: number; rows: number; client_errors: number; server_errors: number; latency: string; sketches: string }): MonitorWindowData {
  return {
    requests: Number(row.requests),
    rows: Number(row.rows),
    clientErrors: Number(row.client_errors),
    serverErrors: Number(row.server_errors),
    latency: JSON.parse(row.latency) as KllSketchData,
    sketches: JSON.parse(row.sketches) as WindowSketchesData,
  };
}
