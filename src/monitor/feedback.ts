/**
 * Feedback: ground truth that arrives after a prediction, joined to the prediction log by request
 * id: this replica's entries not yet written, then the stored segments that may hold the id (found
 * by the time in a UUIDv7 id, see log-segments.ts). A joined item is stored with a copy of the
 * prediction it joined (so performance outlives the prediction log's retention). An item whose
 * request id is not in the log is reported back as unknown, never silently dropped, and kept: a
 * prediction still in another replica's open segment joins when `rematchFeedback` next runs.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Errors } from '../core/errors.js';
import type { FeedbackRecord, FeedbackStore, JoinedPrediction } from '../store/index.js';
import { findStored, type FoundEntry, normaliseId, type SegmentStores, SegmentReaders } from './log-segments.js';
import { toJson } from './to-json.js';
import { iso } from './window-store.js';

/** Where feedback is kept and what it joins: the store's feedback and the prediction log's segments. */
export interface FeedbackStores extends SegmentStores {
  readonly feedback: FeedbackStore;
}

/** How feedback finds predictions beyond the stored segments. */
export interface FeedbackLookup {
  /** This replica's predictions not written yet (PredictionLog.findPending). */
  readonly pending?: (model: string, ids: readonly string[]) => ReadonlyMap<string, FoundEntry>;
  /** Segment readers to share (a cache of the segments read last). */
  readonly readers?: SegmentReaders;
}

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
 * Ids looked up at a time. Between chunks feedback lets the event loop run (`nextTurn`): on SQLite
 * every statement runs synchronously on the calling thread and an awaited result resolves as a
 * microtask, so without that a 10,000-item request would hold the event loop for its whole length.
 */
const LOOKUP_CHUNK = 250;

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
export async function recordFeedback(stores: FeedbackStores, model: string, items: readonly FeedbackItem[], now: number, lookup: FeedbackLookup = {}): Promise<FeedbackResult> {
  const byId = new Map<string, FeedbackItem>();
  for (const item of items) byId.set(item.requestId, item);
  const predictions = await lookupPredictions(stores, lookup, model, [...byId.keys()]);
  const unknown: string[] = [];
  const rejected: { requestId: string; reason: string }[] = [];
  const records: FeedbackRecord[] = [];
  for (const item of byId.values()) {
    const prediction = predictions.get(item.requestId);
    const actual = JSON.stringify(item.actual);
    if (prediction === undefined) {
      unknown.push(item.requestId);
      records.push({ model, requestId: item.requestId, actual });
      continue;
    }
    const problem = shapeProblem(item.actual, prediction.rows);
    if (problem !== undefined) {
      rejected.push({ requestId: item.requestId, reason: problem });
      continue;
    }
    records.push({ model, requestId: item.requestId, actual, prediction });
  }
  // Later feedback for the same request replaces earlier feedback (a correction).
  await stores.feedback.upsert(records, now);
  return { accepted: records.length - unknown.length, unknown, rejected };
}

/**
 * Joins stored feedback that was unknown when it came, received at or after `since`, to
 * predictions logged since; returns how many joined. Items that still do not fit stay unmatched.
 */
export async function rematchFeedback(stores: FeedbackStores, since: number, limit = 1000, lookup: FeedbackLookup = {}): Promise<number> {
  const waiting = await stores.feedback.waiting(since, limit);
  const byModel = new Map<string, typeof waiting>();
  for (const item of waiting) byModel.set(item.model, [...(byModel.get(item.model) ?? []), item]);
  let joined = 0;
  for (const [model, items] of byModel) {
    const predictions = await lookupPredictions(stores, lookup, model, items.map((r) => r.requestId));
    const joins: { requestId: string; prediction: JoinedPrediction }[] = [];
    for (const item of items) {
      const prediction = predictions.get(item.requestId);
      if (prediction === undefined || shapeProblem(JSON.parse(item.actual) as FeedbackItem['actual'], prediction.rows) !== undefined) continue;
      joins.push({ requestId: item.requestId, prediction });
    }
    await stores.feedback.join(model, joins);
    joined += joins.length;
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
export async function readJoinedFeedback(store: FeedbackStore, model: string, from: number, to: number, version?: string): Promise<JoinedFeedback[]> {
  const rows = await store.joined(model, from, to, version);
  return rows.map((r) => ({
    version: r.version,
    predictedAt: r.predictedAt,
    rows: r.rows,
    actual: JSON.parse(r.actual) as FeedbackItem['actual'],
    outputs: JSON.parse(r.outputs) as Record<string, unknown[]>,
  }));
}

/**
 * The logged predictions of `ids`: the stored segments that may hold them, then this replica's
 * entries not written yet (which are newer). A request id served twice keeps its later prediction.
 */
async function lookupPredictions(stores: FeedbackStores, lookup: FeedbackLookup, model: string, ids: readonly string[]): Promise<Map<string, JoinedPrediction>> {
  const found = new Map<string, JoinedPrediction>();
  const readers = lookup.readers ?? new SegmentReaders(stores);
  for (let i = 0; i < ids.length; i += LOOKUP_CHUNK) {
    if (i > 0) await nextTurn();
    const chunk = ids.slice(i, i + LOOKUP_CHUNK);
    // This replica's unwritten entries first: a segment leaves them only once its row is stored,
    // so one written while the stored segments are read is still found by one look or the other.
    const pending = lookup.pending?.(model, chunk);
    const stored = await findStored(stores, readers, 'predictions', model, chunk);
    // Keys are normalised ids (UUIDv7s in lower case); the answer keys them as the caller wrote them.
    for (const id of chunk) {
      const key = normaliseId(id);
      const entry = pending?.get(key) ?? stored.get(key);
      if (entry !== undefined) found.set(id, { version: entry.version, at: iso(entry.at), rows: entry.rows, outputs: toJson(entry.outputs) });
    }
  }
  return found;
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
