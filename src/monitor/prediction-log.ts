/**
 * The prediction log and the sampled request log, buffered in memory and written in batches, never
 * one write per request.
 *
 * - The prediction log keeps every answered request's outputs under its request id, which is what
 *   feedback joins ground truth to. Entries with time-ordered ids (the server's own) go into pages
 *   of many requests (PredictionPages, one row per page); others into monitor_predictions, one
 *   row per request, written BATCH_ENTRIES rows per statement.
 * - The sampled log keeps the inputs and outputs of a share of requests (`sampleRate`), at most
 *   `sampleMaxPerMinute` per model per minute, each at most `sampleMaxBytes` of JSON, for
 *   inspection and as retraining data.
 *
 * Both logs are bounded: under a flood that outruns the database, entries beyond the bound are
 * dropped and counted (the windows' counts never are).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { PredictionLogStore } from '../store/index.js';
import { type JsonBatch, JsonRowBuffer } from './json-row-buffer.js';
import { ID_CLOCK_TOLERANCE_MS, type PredictionPage, PredictionPages, uuidV7Time } from './prediction-pages.js';
import { type SealedQueue } from './sealed-queue.js';
import { type Columns, type PredictionEvent } from './prediction-event.js';
import { toJson } from './to-json.js';
import { iso } from './window-store.js';

/** Settings of the logs. */
export interface PredictionLogOptions {
  /** Log every answered request's outputs. */
  readonly predictions: boolean;
  readonly sampleRate: number;
  readonly sampleMaxPerMinute: number;
  readonly sampleMaxBytes: number;
  /** Most entries waiting to be written, per log. */
  readonly maxPending?: number;
  /** A uniform random number in [0, 1) (tests pass a seeded one). */
  readonly random?: () => number;
}

/**
 * Rows per insert into monitor_predictions and samples, and how many waiting entries make the
 * service write before its timer: small enough that a write blocks the event loop only briefly,
 * large enough that statements stay rare.
 */
export const BATCH_ENTRIES = 2000;
/** Pages per insert (each page is one row of up to PAGE_ENTRIES entries). */
const PAGES_PER_INSERT = 16;
const DEFAULT_MAX_PENDING = 100_000;

/** The prediction log and the sampled log of one replica. */
export class PredictionLog {
  /** Rows `[model, request id, version, at, rows, outputs]` (outputs a JSON value) of ids not paged, see JsonRowBuffer. */
  private readonly predictions = new JsonRowBuffer(BATCH_ENTRIES);
  /** Entries of time-ordered ids, see PredictionPages. */
  private readonly pages = new PredictionPages();
  private samples: PredictionEvent[] = [];
  private readonly sampledPerMinute = new Map<string, { minute: number; count: number }>();
  private droppedEntries = 0;
  private readonly maxPending: number;
  private readonly random: () => number;
  /**
   * Requests logged together share their second, often their millisecond: the last time's ISO text
   * is kept, and a new millisecond in the same second changes only its last digits instead of
   * formatting a new Date for nearly every request.
   */
  private lastIso = { ms: Number.NaN, second: Number.NaN, text: '' };

  constructor(private readonly options: PredictionLogOptions) {
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.random = options.random ?? Math.random;
  }

  /** Takes an answered request: logs its outputs and maybe samples it. O(1). */
  add(event: PredictionEvent): void {
    if (event.outcome !== 'success') return;
    if (this.options.predictions && event.outputs !== undefined) {
      if (this.predictions.rows + this.pages.entries >= this.maxPending) this.droppedEntries += 1;
      else {
        const idMs = uuidV7Time(event.requestId);
        if (idMs !== undefined && Math.abs(idMs - event.at) <= ID_CLOCK_TOLERANCE_MS) this.pages.push(event.model, idMs, event.at, [event.requestId, event.version, event.at, event.rows, event.outputs]);
        else this.predictions.push(this.rowOf(event, event.outputs));
      }
    }
    if (this.options.sampleRate > 0 && this.random() < this.options.sampleRate && this.withinCap(event)) {
      if (this.samples.length < this.maxPending) this.samples.push(event);
      else this.droppedEntries += 1;
    }
  }

  /** Entries waiting to be written. */
  get pending(): number {
    return this.predictions.rows + this.pages.entries + this.samples.length;
  }

  /** Entries dropped because the buffers were full. */
  get dropped(): number {
    return this.droppedEntries;
  }

  /** True when a full batch waits, worth writing before the next timer (see BATCH_ENTRIES and `flush`). */
  get full(): boolean {
    return this.predictions.sealed.length > 0 || this.pages.sealed.entries >= BATCH_ENTRIES || this.samples.length >= BATCH_ENTRIES;
  }

  /**
   * Writes what is waiting, at most BATCH_ENTRIES rows or PAGES_PER_INSERT pages per statement,
   * yielding to the event loop between statements (on SQLite a write blocks the thread that makes
   * it). With `full` only, just sealed batches and pages: partly filled ones wait to fill up, since
   * each write has a cost of its own (a statement, a message to the writer thread) that small
   * batches under steady traffic would pay hundreds of times a minute. On failure the entries not
   * written are put back (up to the bound) for the next flush, and the error is thrown.
   */
  async flush(store: PredictionLogStore, options: { readonly full?: boolean } = {}): Promise<void> {
    const full = options.full === true;
    if (!full) {
      this.predictions.seal();
      this.pages.sealAll();
    }
    // Everything sealed, or (with `full`) the full batches that make `full` true. What arrives while
    // this runs waits in open batches for the next flush, so the loop ends.
    const waiting = () => (full ? this.full : this.predictions.sealed.length > 0 || this.pages.sealed.length > 0 || this.samples.length > 0);
    while (waiting()) {
      const pages = this.pages.sealed.take(PAGES_PER_INSERT);
      const [predictions] = this.predictions.sealed.take(1);
      const samples = this.samples.splice(0, Math.max(0, BATCH_ENTRIES - (predictions?.entries ?? 0)));
      // Each insert is one statement, atomic by itself: no transaction around them, which on the
      // SQLite writer thread would cost two more round trips per batch. What failed is put back.
      try {
        if (pages.length > 0) await store.appendPages(pages);
      } catch (error) {
        this.requeue(pages, predictions, samples);
        throw error;
      }
      try {
        if (predictions !== undefined) await store.appendPredictions(predictions.text);
      } catch (error) {
        this.requeue([], predictions, samples);
        throw error;
      }
      try {
        if (samples.length > 0) await store.appendSamples(sampleRows(samples, this.options.sampleMaxBytes, this.isoOf));
      } catch (error) {
        this.requeue([], undefined, samples);
        throw error;
      }
      if (waiting()) await nextTurn();
    }
  }

  private readonly isoOf = (ms: number): string => {
    const last = this.lastIso;
    if (ms === last.ms) return last.text;
    const second = Math.floor(ms / 1000);
    // The fast path needs the common form, YYYY-MM-DDTHH:MM:SS.mmmZ (24 characters).
    const text = second === last.second && Number.isInteger(ms) && last.text.length === 24 ? `${last.text.slice(0, 20)}${String(ms - second * 1000).padStart(3, '0')}Z` : iso(ms);
    this.lastIso = { ms, second, text };
    return text;
  };

  /** The prediction log row of an answered request (see `predictions`). */
  private rowOf(event: PredictionEvent, outputs: Columns): string {
    return `[${JSON.stringify(event.model)},${JSON.stringify(event.requestId)},${JSON.stringify(event.version)},"${this.isoOf(event.at)}",${event.rows},${toJson(outputs)}]`;
  }

  private requeue(pages: readonly PredictionPage[], predictions: JsonBatch | undefined, samples: PredictionEvent[]): void {
    if (pages.length > 0) {
      this.pages.sealed.putBack(pages);
      this.keepBound(this.pages.sealed);
    }
    if (predictions !== undefined) {
      this.predictions.sealed.putBack([predictions]);
      this.keepBound(this.predictions.sealed);
    }
    const merged = [...samples, ...this.samples];
    this.droppedEntries += Math.max(0, merged.length - this.maxPending);
    this.samples = merged.slice(0, this.maxPending);
  }

  /** Drops the newest batches of `queue` until the prediction log holds at most `maxPending` entries, counting them. */
  private keepBound<T extends { readonly entries: number }>(queue: SealedQueue<T>): void {
    const elsewhere = this.predictions.rows + this.pages.entries - queue.entries;
    this.droppedEntries += queue.trimTo(this.maxPending - elsewhere);
  }

  private withinCap(event: PredictionEvent): boolean {
    const minute = Math.floor(event.at / 60_000);
    const state = this.sampledPerMinute.get(event.model);
    if (state === undefined || state.minute !== minute) {
      this.sampledPerMinute.set(event.model, { minute, count: 1 });
      return this.options.sampleMaxPerMinute > 0;
    }
    if (state.count >= this.options.sampleMaxPerMinute) return false;
    state.count += 1;
    return true;
  }
}

/** Samples as the JSON array text PredictionLogStore.appendSamples takes, one per request id. */
function sampleRows(events: readonly PredictionEvent[], maxBytes: number, isoOf: (ms: number) => string): string {
  const rows = latestByKey(events).map((e) => [
    e.model,
    e.requestId,
    e.version,
    isoOf(e.at),
    e.protocol,
    capped(e.request !== undefined ? e.request : records(e.features, e.rows), maxBytes),
    capped(e.response !== undefined ? e.response : records(e.outputs, e.rows), maxBytes),
  ]);
  return JSON.stringify(rows);
}

/** One entry per (model, request id), the last one; a multi-row insert may not touch a row twice. */
function latestByKey(events: readonly PredictionEvent[]): PredictionEvent[] {
  const byKey = new Map<string, PredictionEvent>();
  for (const e of events) byKey.set(`${e.model}\u0000${e.requestId}`, e);
  return [...byKey.values()];
}

/** Columns as a list of records, one per row (how people read a request). */
export function records(columns: Columns | undefined, rows: number): Record<string, unknown>[] {
  if (columns === undefined) return [];
  const names = Object.keys(columns);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < rows; i++) {
    const record: Record<string, unknown> = {};
    for (const name of names) record[name] = columns[name]![i] ?? null;
    out.push(record);
  }
  return out;
}

/** JSON of a value, or a marker when it is larger than the cap. */
function capped(value: unknown, maxBytes: number): string {
  const text = toJson(value);
  return Buffer.byteLength(text) <= maxBytes ? text : JSON.stringify({ truncated: true, bytes: Buffer.byteLength(text) });
}
