/**
 * Feedback (ground truth sent after a prediction) in the metadata database: one row per model
 * and request id, joined to a copy of its prediction or waiting for one. Portable Kysely, the
 * same on SQLite and PostgreSQL.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { isoTime } from './iso-time.js';
import type { StoreTables } from './store-tables.js';

/** The prediction a feedback item joined: its version, time, rows and outputs (JSON text). */
export interface JoinedPrediction {
  readonly version: string;
  /** ISO 8601 UTC. */
  readonly at: string;
  readonly rows: number;
  readonly outputs: string;
}

/** A feedback item to store: joined to its prediction, or (prediction undefined) waiting for it. */
export interface FeedbackRecord {
  readonly model: string;
  readonly requestId: string;
  /** JSON text of the true value. */
  readonly actual: string;
  readonly prediction?: JoinedPrediction | undefined;
}

/** Stored feedback not yet joined. */
export interface WaitingFeedback {
  readonly model: string;
  readonly requestId: string;
  readonly actual: string;
}

/** Stored feedback joined to its prediction. */
export interface JoinedFeedbackRecord {
  readonly requestId: string;
  readonly version: string;
  /** When the prediction was made, epoch ms. */
  readonly predictedAt: number;
  readonly rows: number;
  readonly actual: string;
  readonly outputs: string;
}

/** Feedback. */
export interface FeedbackStore {
  /** Stores items received at `receivedAt` (epoch ms), all or none; an item for a request id already stored replaces it (a correction). */
  upsert(items: readonly FeedbackRecord[], receivedAt: number): Promise<void>;
  /** Items not yet joined received at or after `since`, oldest first, at most `limit`. */
  waiting(since: number, limit: number): Promise<WaitingFeedback[]>;
  /** Joins waiting items to their predictions; an item joined meanwhile is left as it is. */
  join(model: string, items: readonly { readonly requestId: string; readonly prediction: JoinedPrediction }[]): Promise<void>;
  /** Joined items on predictions made in [from, to) (epoch ms), optionally of one version, oldest first. */
  joined(model: string, from: number, to: number, version?: string): Promise<JoinedFeedbackRecord[]>;
  /** Items received in [from, to) still not joined. */
  countWaiting(model: string, from: number, to: number): Promise<number>;
  /** Deletes items received before `before`. */
  deleteReceivedBefore(before: number): Promise<void>;
}

/** Rows per statement of a large write. */
const CHUNK = 100;

/** The feedback store over a Kysely database of either dialect. */
export class KyselyFeedbackStore implements FeedbackStore {
  readonly #db: Kysely<StoreTables>;
  readonly #writer: () => Kysely<StoreTables>;

  /**
   * `writer` gives the connection writes go through (on SQLite a connection in a worker thread,
   * see MetadataStore.writer), so that a large batch of feedback never holds the event loop.
   */
  constructor(db: Kysely<StoreTables>, writer: () => Kysely<StoreTables> = () => db) {
    this.#db = db;
    this.#writer = writer;
  }

  async upsert(items: readonly FeedbackRecord[], receivedAt: number): Promise<void> {
    if (items.length === 0) return;
    const received_at = isoTime(receivedAt);
    const rows = items.map(({ model, requestId, actual, prediction: p }): StoreTables['monitor_feedback'] =>
      p === undefined
        ? { model, request_id: requestId, received_at, actual, matched: 0, version: null, predicted_at: null, rows: null, outputs: null }
        : { model, request_id: requestId, received_at, actual, matched: 1, version: p.version, predicted_at: p.at, rows: p.rows, outputs: p.outputs },
    );
    // One transaction (one commit to disk, not one per statement), in statements of CHUNK rows.
    await inChunks(this.#writer(), rows, (trx, chunk) => upsertRows(trx, chunk));
  }

  async waiting(since: number, limit: number): Promise<WaitingFeedback[]> {
    const rows = await this.#db
      .selectFrom('monitor_feedback')
      .select(['model', 'request_id', 'actual'])
      .where('matched', '=', 0)
      .where('received_at', '>=', isoTime(since))
      .orderBy('received_at')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ model: row.model, requestId: row.request_id, actual: row.actual }));
  }

  async join(model: string, items: readonly { readonly requestId: string; readonly prediction: JoinedPrediction }[]): Promise<void> {
    await inChunks(this.#writer(), items, async (trx, chunk) => {
      for (const { requestId, prediction } of chunk) {
        await trx
          .updateTable('monitor_feedback')
          .set({ matched: 1, version: prediction.version, predicted_at: prediction.at, rows: prediction.rows, outputs: prediction.outputs })
          .where('model', '=', model)
          .where('request_id', '=', requestId)
          .where('matched', '=', 0)
          .execute();
      }
    });
  }

  async joined(model: string, from: number, to: number, version?: string): Promise<JoinedFeedbackRecord[]> {
    let select = this.#db
      .selectFrom('monitor_feedback')
      .select(['request_id', 'version', 'predicted_at', 'rows', 'actual', 'outputs'])
      .where('model', '=', model)
      .where('matched', '=', 1)
      .where('predicted_at', '>=', isoTime(from))
      .where('predicted_at', '<', isoTime(to));
    if (version !== undefined) select = select.where('version', '=', version);
    const rows = await select.orderBy('predicted_at').orderBy('request_id').execute();
    return rows.map((r) => ({ requestId: r.request_id, version: r.version!, predictedAt: Date.parse(r.predicted_at!), rows: Number(r.rows), actual: r.actual, outputs: r.outputs! }));
  }

  async countWaiting(model: string, from: number, to: number): Promise<number> {
    const row = await this.#db
      .selectFrom('monitor_feedback')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('model', '=', model)
      .where('matched', '=', 0)
      .where('received_at', '>=', isoTime(from))
      .where('received_at', '<', isoTime(to))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async deleteReceivedBefore(before: number): Promise<void> {
    await this.#db.deleteFrom('monitor_feedback').where('received_at', '<', isoTime(before)).execute();
  }
}

/** Inserts rows, replacing stored feedback for the same model and request id. */
async function upsertRows(db: Kysely<StoreTables>, rows: readonly StoreTables['monitor_feedback'][]): Promise<void> {
  await db
    .insertInto('monitor_feedback')
    .values(rows)
      .onConflict((oc) =>
      oc.columns(['model', 'request_id']).doUpdateSet((eb) => ({
        received_at: eb.ref('excluded.received_at'),
        actual: eb.ref('excluded.actual'),
        matched: eb.ref('excluded.matched'),
        version: eb.ref('excluded.version'),
        predicted_at: eb.ref('excluded.predicted_at'),
        rows: eb.ref('excluded.rows'),
        outputs: eb.ref('excluded.outputs'),
      })),
    )
    .execute();
}

/**
 * Runs `write` over `items` CHUNK at a time in one transaction, letting the event loop run between
 * chunks (on SQLite's own connection every statement runs synchronously on the calling thread).
 */
async function inChunks<T>(db: Kysely<StoreTables>, items: readonly T[], write: (trx: Kysely<StoreTables>, chunk: readonly T[]) => Promise<void>): Promise<void> {
  if (items.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < items.length; i += CHUNK) {
      if (i > 0) await nextTurn();
      await write(trx, items.slice(i, i + CHUNK));
    }
  });
}
