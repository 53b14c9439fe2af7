/**
 * Shadow comparisons in the metadata database: one row per (model, shadow version, window start,
 * replica), so replicas never contend, merged on read. Portable Kysely, the same on SQLite and
 * PostgreSQL; sketches travel as the JSON text the monitor made of them.
 */
import type { Kysely } from 'kysely';
import { isoTime as iso } from './iso-time.js';
import type { StoreTables } from './store-tables.js';

/** One window of one shadow's comparison, as stored. */
export interface ComparisonRecord {
  readonly model: string;
  readonly shadow: number;
  /** Window start, epoch ms. */
  readonly start: number;
  readonly windowMs: number;
  readonly requests: number;
  readonly dropped: number;
  readonly failed: number;
  readonly rows: number;
  readonly labelled: number;
  readonly agreed: number;
  /** JSON text of the window's sketches. */
  readonly sketches: string;
}

/** Combines a stored window with the one written over it (the monitor's merge). */
export type MergeComparison = (stored: ComparisonRecord, incoming: ComparisonRecord) => ComparisonRecord;

/** The shadow comparison windows. */
export class ShadowComparisonStore {
  readonly #db: Kysely<StoreTables>;

  constructor(db: Kysely<StoreTables>) {
    this.#db = db;
  }

  /** Writes windows as `replica`'s in one transaction; a window already stored is replaced by `merge` of both. */
  async write(replica: string, windows: readonly ComparisonRecord[], merge: MergeComparison, updatedAt: number): Promise<void> {
    if (windows.length === 0) return;
    const updated = iso(updatedAt);
    await this.#db.transaction().execute(async (trx) => {
      for (const window of windows) {
        const key = { model: window.model, shadow: window.shadow, start_at: iso(window.start), replica };
        const existing = await trx
          .selectFrom('shadow_comparisons')
          .selectAll()
          .where('model', '=', key.model)
          .where('shadow', '=', key.shadow)
          .where('start_at', '=', key.start_at)
          .where('replica', '=', replica)
          .executeTakeFirst();
        const data = existing === undefined ? window : merge(recordOf(existing), window);
        const values = {
          window_ms: window.windowMs,
          requests: data.requests,
          dropped: data.dropped,
          failed: data.failed,
          rows: data.rows,
          labelled: data.labelled,
          agreed: data.agreed,
          sketches: data.sketches,
          updated_at: updated,
        };
        if (existing === undefined) await trx.insertInto('shadow_comparisons').values({ ...key, ...values }).execute();
        else {
          await trx
            .updateTable('shadow_comparisons')
            .set(values)
            .where('model', '=', key.model)
            .where('shadow', '=', key.shadow)
            .where('start_at', '=', key.start_at)
            .where('replica', '=', replica)
            .execute();
        }
      }
    });
  }

  /** Every replica's windows of one shadow starting in [from, to), oldest first. */
  async read(model: string, shadow: number, from: number, to: number): Promise<ComparisonRecord[]> {
    const rows = await this.#db
      .selectFrom('shadow_comparisons')
      .selectAll()
      .where('model', '=', model)
      .where('shadow', '=', shadow)
      .where('start_at', '>=', iso(from))
      .where('start_at', '<', iso(to))
      .orderBy('start_at')
      .execute();
    return rows.map(recordOf);
  }

  /** Deletes windows that started before `before`; returns how many. */
  async deleteBefore(before: number): Promise<number> {
    const result = await this.#db.deleteFrom('shadow_comparisons').where('start_at', '<', iso(before)).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function recordOf(row: StoreTables['shadow_comparisons']): ComparisonRecord {
  return {
    model: row.model,
    shadow: Number(row.shadow),
    start: Date.parse(row.start_at),
    windowMs: Number(row.window_ms),
    requests: Number(row.requests),
    dropped: Number(row.dropped),
    failed: Number(row.failed),
    rows: Number(row.rows),
    labelled: Number(row.labelled),
    agreed: Number(row.agreed),
    sketches: row.sketches,
  };
}
