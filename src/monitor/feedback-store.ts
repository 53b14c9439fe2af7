/**
 * Feedback: ground truth that arrives after a prediction, joined to the prediction log by request
 * id. A joined item is stored with a copy of the prediction it joined (so performance outlives the
 * prediction log's retention). An item whose request id is not in the log is reported back as
 * unknown, never silently dropped, and kept: a prediction still in another replica's unwritten
 * batch joins when `rematchFeedback` next runs.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { type Kysely, sql } from 'kysely';
import { Errors } from '../core/errors.js';
import { type StoreTables } from '../store/store-tables.js';
import { PAGE_SPAN_MS, type PageEntry, uuidV7Time } from './prediction-pages.js';
import { iso } from './window-store.js';

/** One piece of ground truth: the request it is about and the true value (a list for a request of several rows). */
export interface FeedbackItem {
  readonly requestId: string;
  readonly actual: FeedbackValue | readonly FeedbackValue[];
}

/** A true value: a class label or a number. */
export type FeedbackValue = string | number | boolean;

/** What happened to a batch of feedback. */
export interface FeedbackResult {
  /** Items joined to a logged prediction. */
  readonly accepted: number;
  /** Request ids not (yet) in the prediction log; kept and joined later if the prediction turns up. */
  readonly unknown: readonly string[];
  /** Items whose value does not fit their prediction (a list of the wrong length). */
  readonly rejected: readonly { readonly requestId: string; readonly reason: string }[];
}

/** Most items one feedback request may carry. */
export const MAX_FEEDBACK_ITEMS = 10_000;
/**
 * Items per statement. Between chunks feedback lets the event loop run (`nextTurn`): on SQLite
 * every statement runs synchronously on the calling thread and an awaited result resolves as a
 * microtask, so without that a 10,000-item request held the event loop for its whole length and
 * every prediction waited behind it. The longest stall in bench/prediction-log-ids.ts was
 * 255–605 ms without, 16–34 ms (one chunk) with.
 */
const LOOKUP_CHUNK = 500;
const INSERT_CHUNK = 200;

/**
 * Reads a feedback body: one `{requestId, actual}` or a list of them (or `{"feedback": [...]}`).
 * Throws BERTH_MONITOR_FEEDBACK_INVALID naming the first bad item.
 */
export function parseFeedback(body: unknown): FeedbackItem[] {
  const list = Array.isArray(body) ? body : isRecord(body) && Array.isArray(body.feedback) ? body.feedback : [body];
  if (list.length === 0) throw Errors.MONITOR_FEEDBACK_INVALID.create('the list is empty');
  if (list.length > MAX_FEEDBACK_ITEMS) throw Errors.MONITOR_FEEDBACK_INVALID.create(`it has ${list.length} items; send at most ${MAX_FEEDBACK_ITEMS} per request`);
  return list.map((item: unknown, i) => {
    const where = list.length > 1 ? `item ${i}` : 'the item';
    if (!isRecord(item)) throw Errors.MONITOR_FEEDBACK_INVALID.create(`${where} is not an object`);
    const { requestId, actual } = item;
    if (typeof requestId !== 'string' || requestId === '' || requestId.length > 256) throw Errors.MONITOR_FEEDBACK_INVALID.create(`${where} has no requestId (a non-empty string)`);
    if (Array.isArray(actual)) {
      if (actual.length === 0 || !actual.every(isValue)) throw Errors.MONITOR_FEEDBACK_INVALID.create(`${where} (${requestId}): actual must be a non-empty list of labels or numbers`);
    } else if (!isValue(actual)) {
      throw Errors.MONITOR_FEEDBACK_INVALID.create(`${where} (${requestId}): actual must be a label or a number (or a list of them)`);
    }
    return { requestId, actual: actual as FeedbackItem['actual'] };
  });
}

/** Joins feedback for a model to its prediction log and stores it. */
export async function recordFeedback(db: Kysely<StoreTables>, model: string, items: readonly FeedbackItem[], now: number): Promise<FeedbackResult> {
  const byId = new Map<string, FeedbackItem>();
  for (const item of items) byId.set(item.requestId, item);
  const predictions = await lookupPredictions(db, model, [...byId.keys()]);
  const unknown: string[] = [];
  const rejected: { requestId: string; reason: string }[] = [];
  const rows: StoreTables['monitor_feedback'][] = [];
  const receivedAt = iso(now);
  for (const item of byId.values()) {
    const prediction = predictions.get(item.requestId);
    const actual = JSON.stringify(item.actual);
    if (prediction === undefined) {
      unknown.push(item.requestId);
      rows.push({ model, request_id: item.requestId, received_at: receivedAt, actual, matched: 0, version: null, predicted_at: null, rows: null, outputs: null });
      continue;
    }
    const problem = shapeProblem(item.actual, prediction.rows);
    if (problem !== undefined) {
      rejected.push({ requestId: item.requestId, reason: problem });
      continue;
    }
    rows.push({ model, request_id: item.requestId, received_at: receivedAt, actual, matched: 1, version: prediction.version, predicted_at: prediction.at, rows: prediction.rows, outputs: prediction.outputs });
  }
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    if (i > 0) await nextTurn();
    await db
      .insertInto('monitor_feedback')
      .values(rows.slice(i, i + INSERT_CHUNK))
      // Later feedback for the same request replaces earlier feedback (a correction).
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
  return { accepted: rows.length - unknown.length, unknown, rejected };
}

/**
 * Joins stored feedback that was unknown when it came, received at or after `since`, to
 * predictions logged since; returns how many joined. Items that still do not fit stay unmatched.
 */
export async function rematchFeedback(db: Kysely<StoreTables>, since: number, limit = 1000): Promise<number> {
  const waiting = await db
    .selectFrom('monitor_feedback')
    .select(['model', 'request_id', 'actual'])
    .where('matched', '=', 0)
    .where('received_at', '>=', iso(since))
    .orderBy('received_at')
    .limit(limit)
    .execute();
  const byModel = new Map<string, typeof waiting>();
  for (const row of waiting) byModel.set(row.model, [...(byModel.get(row.model) ?? []), row]);
  let joined = 0;
  for (const [model, rows] of byModel) {
    const predictions = await lookupPredictions(db, model, rows.map((r) => r.request_id));
    for (const row of rows) {
      const prediction = predictions.get(row.request_id);
      if (prediction === undefined || shapeProblem(JSON.parse(row.actual) as FeedbackItem['actual'], prediction.rows) !== undefined) continue;
      await db
        .updateTable('monitor_feedback')
        .set({ matched: 1, version: prediction.version, predicted_at: prediction.at, rows: prediction.rows, outputs: prediction.outputs })
        .where('model', '=', model)
        .where('request_id', '=', row.request_id)
        .where('matched', '=', 0)
        .execute();
      joined++;
    }
  }
  return joined;
}

/** A joined feedback item, as performance reports read it. */
export interface JoinedFeedback {
  readonly version: string;
  /** When the prediction was made, epoch ms. */
  readonly predictedAt: number;
  readonly rows: number;
  readonly actual: FeedbackItem['actual'];
  /** The prediction's outputs as columns. */
  readonly outputs: Readonly<Record<string, readonly unknown[]>>;
}

/** Joined feedback on predictions made in [from, to), optionally of one version, oldest first. */
export async function readJoinedFeedback(db: Kysely<StoreTables>, model: string, from: number, to: number, version?: string): Promise<JoinedFeedback[]> {
  let select = db
    .selectFrom('monitor_feedback')
    .select(['version', 'predicted_at', 'rows', 'actual', 'outputs'])
    .where('model', '=', model)
    .where('matched', '=', 1)
    .where('predicted_at', '>=', iso(from))
    .where('predicted_at', '<', iso(to));
  if (version !== undefined) select = select.where('version', '=', version);
  const rows = await select.orderBy('predicted_at').execute();
  return rows.map((r) => ({
    version: r.version!,
    predictedAt: Date.parse(r.predicted_at!),
    rows: Number(r.rows),
    actual: JSON.parse(r.actual) as FeedbackItem['actual'],
    outputs: JSON.parse(r.outputs!) as Record<string, unknown[]>,
  }));
}

/** Feedback for a model received in [from, to) that is still not joined to a prediction. */
export async function countUnmatchedFeedback(db: Kysely<StoreTables>, model: string, from: number, to: number): Promise<number> {
  const row = await db
    .selectFrom('monitor_feedback')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('model', '=', model)
    .where('matched', '=', 0)
    .where('received_at', '>=', iso(from))
    .where('received_at', '<', iso(to))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

interface LoggedPrediction {
  readonly version: string;
  readonly at: string;
  readonly rows: number;
  readonly outputs: string;
}

/**
 * The logged predictions of `ids`, from both parts of the prediction log: the per-request table
 * by key, and the pages that may hold a time-ordered id (see prediction-pages.ts). A request id
 * served twice keeps its later prediction.
 */
async function lookupPredictions(db: Kysely<StoreTables>, model: string, ids: readonly string[]): Promise<Map<string, LoggedPrediction>> {
  const found = new Map<string, LoggedPrediction>();
  const keep = (id: string, prediction: LoggedPrediction) => {
    const known = found.get(id);
    if (known === undefined || prediction.at >= known.at) found.set(id, prediction);
  };
  for (let i = 0; i < ids.length; i += LOOKUP_CHUNK) {
    if (i > 0) await nextTurn();
    const chunk = ids.slice(i, i + LOOKUP_CHUNK);
    const rows = await db.selectFrom('monitor_predictions').select(['request_id', 'version', 'at', 'rows', 'outputs']).where('model', '=', model).where('request_id', 'in', chunk).execute();
    for (const row of rows) keep(row.request_id, { version: row.version, at: row.at, rows: Number(row.rows), outputs: row.outputs });
    const wanted = new Set(chunk);
    for (const page of await pagesHolding(db, model, chunk)) {
      for (const [id, version, atMs, rows, outputs] of JSON.parse(page.body) as PageEntry[]) {
        if (wanted.has(id)) keep(id, { version, at: iso(atMs), rows, outputs: JSON.stringify(outputs) });
      }
    }
  }
  return found;
}

/**
 * The pages of `model` whose id range holds the time of one of `ids` (the UUIDv7 ones), in the
 * order they were sealed, so that of two entries of one id with the same time the later wins.
 * Per id, one index range scan over the pages whose range ends within PAGE_SPAN_MS after it.
 */
async function pagesHolding(db: Kysely<StoreTables>, model: string, ids: readonly string[]): Promise<{ body: string }[]> {
  const times = new Set<number>();
  for (const id of ids) {
    const ms = uuidV7Time(id);
    if (ms !== undefined) times.add(ms);
  }
  if (times.size === 0) return [];
  // A VALUES list, whose column is `column1` on both SQLite and PostgreSQL; the cast tells
  // PostgreSQL its type, which it would otherwise take for text. `cross join` makes SQLite loop
  // over the list outside and search the index inside: left to choose, with a few hundred values
  // it scanned every page of the model for each value instead (60 ms against 3.5 ms for 500 ids
  // over 1,563 pages).
  const list = sql.join([...times].map((ms) => sql`(cast(${ms} as bigint))`));
  const { rows } = await sql<{ body: string }>`select body from monitor_prediction_pages where page_id in (
      select p.page_id from (values ${list}) as t cross join monitor_prediction_pages p
      where p.model = ${model} and p.id_to_ms >= t.column1 and p.id_to_ms <= t.column1 + ${PAGE_SPAN_MS} and p.id_from_ms <= t.column1)
    order by page_id`.execute(db);
  return rows;
}

/** Why a true value does not fit a prediction of `rows` rows, or undefined when it does. */
function shapeProblem(actual: FeedbackItem['actual'], rows: number): string | undefined {
  if (Array.isArray(actual)) return actual.length === rows ? undefined : `actual has ${actual.length} values but the request predicted ${rows} rows`;
  return rows === 1 ? undefined : `the request predicted ${rows} rows; send actual as a list of ${rows} values`;
}

function isValue(value: unknown): value is FeedbackValue {
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
