/**
 * The labelled-rows port (labelled-rows.ts) over the payload log: feedback joined to a prediction
 * made in the range, then the inputs of that request from the payload segments that may hold its
 * id (found by the time in its UUIDv7 id, like feedback's own lookup). A request that got feedback
 * but was not in the payload log (its model's `monitor.payloads.rate` left it out) gives no rows.
 *
 * @example
 *   const source = payloadLabelledRows(monitorStores(store, { blobs }));
 *   const rows = await source.labelledRows('loans', { from: Date.now() - 7 * 86_400_000, to: Date.now() }, 50_000);
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FeedbackStore } from '../store/index.js';
import { type FeedbackValue } from './feedback.js';
import { type LabelledRange, type LabelledRow, type LabelledRowSource } from './labelled-rows.js';
import { findStored, normaliseId, type SegmentStores, SegmentReaders } from './log-segments.js';

/** Feedback items looked up in the payload log at once. */
const CHUNK = 500;

/** The stores a {@link payloadLabelledRows} source reads. */
export type LabelledRowStores = SegmentStores & { readonly feedback: FeedbackStore };

/** A LabelledRowSource over the payload log and feedback. */
export function payloadLabelledRows(stores: LabelledRowStores, readers: SegmentReaders = new SegmentReaders(stores)): LabelledRowSource {
  return {
    async labelledRows(model, range, limit) {
      const rows: LabelledRow[] = [];
      await eachLabelled(stores, readers, model, range, (row) => {
        rows.push(row);
        return rows.length < limit;
      });
      return rows;
    },
    async countLabelled(model, range) {
      let count = 0;
      await eachLabelled(stores, readers, model, range, () => {
        count += 1;
        return true;
      });
      return count;
    },
  };
}

/** Calls `take` with each labelled row predicted in `range`, oldest first, until it returns false. */
async function eachLabelled(stores: LabelledRowStores, readers: SegmentReaders, model: string, range: LabelledRange, take: (row: LabelledRow) => boolean): Promise<void> {
  const joined = await stores.feedback.joined(model, range.from, range.to);
  for (let i = 0; i < joined.length; i += CHUNK) {
    if (i > 0) await nextTurn();
    const chunk = joined.slice(i, i + CHUNK);
    const payloads = await findStored(stores, readers, 'payloads', model, chunk.map((f) => f.requestId), { features: true });
    for (const item of chunk) {
      const payload = payloads.get(normaliseId(item.requestId));
      if (payload === undefined || payload.features === undefined) continue;
      const actual = JSON.parse(item.actual) as FeedbackValue | FeedbackValue[];
      for (let r = 0; r < payload.rows; r++) {
        const value = Array.isArray(actual) ? actual[r] : actual;
        if (value === undefined) continue;
        const row: LabelledRow = {
          requestId: item.requestId,
          row: r,
          at: payload.at,
          version: payload.version,
          features: rowOf(payload.features, r),
          prediction: rowOf(Object.keys(payload.outputs).length > 0 ? payload.outputs : (JSON.parse(item.outputs) as Record<string, unknown[]>), r),
          actual: value,
        };
        if (!take(row)) return;
      }
    }
  }
}

/** Row `r` of named columns, by name (null where a column has no value there). */
function rowOf(columns: Readonly<Record<string, readonly unknown[]>>, r: number): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [name, values] of Object.entries(columns)) row[name] = values[r] ?? null;
  return row;
}
