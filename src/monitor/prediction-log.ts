/**
 * The monitor's logs of one replica, buffered in memory and written in batches, never one write
 * per request:
 *
 * - The prediction log keeps every answered request's outputs under its request id, which is what
 *   feedback joins ground truth to; the payload log keeps a share of requests' inputs and outputs
 *   per model (`monitor.payloads`), which retraining learns from. Both are segment files in the
 *   blob store with one row per segment (see log-segments.ts).
 * - The sampled log keeps the inputs and outputs of a share of requests (`sampleRate`), at most
 *   `sampleMaxPerMinute` per model per minute, each at most `sampleMaxBytes` of JSON, as rows of
 *   the metadata database for people to inspect.
 *
 * Every log is bounded: under a flood that outruns the stores, entries beyond the bound are
 * dropped and counted (the windows' counts never are).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { type ModelPayloadSettings } from '../core/monitor-config.js';
import type { SampleStore } from '../store/index.js';
import { type LogEntry } from './log-segment-codec.js';
import { type FoundEntry, normaliseId, type SegmentStores, SegmentLog } from './log-segments.js';
import { type Columns, type PredictionEvent, type RowColumns } from './prediction-event.js';
import { toJson } from './to-json.js';
import { iso } from './window-store.js';

/** Settings of the logs. */
export interface PredictionLogOptions {
  /** Log every answered request's outputs. */
  readonly predictions: boolean;
  /** The payload log settings of a model (asked once per model). */
  readonly payloads: (model: string) => ModelPayloadSettings;
  readonly sampleRate: number;
  readonly sampleMaxPerMinute: number;
  readonly sampleMaxBytes: number;
  /** Longest a log segment stays open, ms; most entries in one. */
  readonly segmentSealMs: number;
  readonly segmentMaxEntries: number;
  /** Most entries waiting to be written, per log. */
  readonly maxPending: number;
  /** A uniform random number in [0, 1) (tests pass a seeded one). */
  readonly random?: () => number;
  readonly now: () => number;
  /** Hears of each request taken into the payload log (the CloudEvents sink). */
  readonly onPayload?: (model: string, entry: LogEntry) => void;
  /** Hears when a large request's columns could not be read into a log. */
  readonly onError?: (error: unknown) => void;
}

/** Samples per insert, and how many waiting make the service write before its timer. */
export const BATCH_ENTRIES = 2000;

/** What the logs dropped under overload. */
export interface DroppedEntries {
  readonly predictions: number;
  readonly payloads: number;
  readonly samples: number;
}

/** The logs of one replica. */
export class PredictionLog {
  readonly predictions: SegmentLog;
  readonly payloads: SegmentLog;
  #samples: PredictionEvent[] = [];
  readonly #sampledPerMinute = new Map<string, { minute: number; count: number }>();
  readonly #payloadSettings = new Map<string, ModelPayloadSettings>();
  #droppedSamples = 0;
  readonly #random: () => number;
  /**
   * Requests sampled together share their second, often their millisecond: the last time's ISO text
   * is kept, and a new millisecond in the same second changes only its last digits.
   */
  #lastIso = { ms: Number.NaN, second: Number.NaN, text: '' };

  constructor(private readonly options: PredictionLogOptions) {
    this.#random = options.random ?? Math.random;
    const segments = {
      sealMs: options.segmentSealMs,
      maxEntries: options.segmentMaxEntries,
      maxPending: options.maxPending,
      now: options.now,
      ...(options.onError !== undefined ? { onError: options.onError } : {}),
    };
    this.predictions = new SegmentLog({ kind: 'predictions', ...segments });
    this.payloads = new SegmentLog({ kind: 'payloads', ...segments });
  }

  /**
   * Takes an answered request: logs its outputs, maybe its payload, and maybe samples it. O(rows);
   * a large request's rows (`rowColumns`) go into the logs a slice per turn of the event loop.
   */
  add(event: PredictionEvent): void {
    if (event.outcome !== 'success') return;
    const lazy = event.rowColumns;
    if (this.options.predictions && (event.outputs !== undefined || lazy?.outputs === true)) {
      this.predictions.add(event.model, {
        requestId: event.requestId,
        at: event.at,
        version: event.version,
        rows: event.rows,
        outputs: event.outputs,
        ...(lazy !== undefined ? { rowColumns: onlyColumns(lazy, false, true) } : {}),
      });
    }
    const payload = this.#payloadsOf(event.model);
    if (payload.rate > 0 && (payload.rate >= 1 || this.#random() < payload.rate)) {
      const entry = payloadEntry(event, payload);
      this.payloads.add(event.model, entry);
      this.options.onPayload?.(event.model, entry.rowColumns !== undefined ? wholeEntry(entry) : entry);
    }
    if (this.options.sampleRate > 0 && this.#random() < this.options.sampleRate && this.#withinCap(event)) {
      if (this.#samples.length < this.options.maxPending) this.#samples.push(lazy !== undefined ? this.#sampleOf(event, lazy) : event);
      else this.#droppedSamples += 1;
    }
  }

  /** Waits until every large request taken has gone into the logs' segments. */
  async settled(): Promise<void> {
    await this.predictions.settled();
    await this.payloads.settled();
  }

  /** The payload log settings of `model`. */
  payloadSettings(model: string): ModelPayloadSettings {
    return this.#payloadsOf(model);
  }

  /** Entries waiting to be written. */
  get pending(): number {
    return this.predictions.pending + this.payloads.pending + this.#samples.length;
  }

  /** Entries dropped because the buffers were full. */
  get dropped(): DroppedEntries {
    return { predictions: this.predictions.dropped, payloads: this.payloads.dropped, samples: this.#droppedSamples };
  }

  /** True when a sealed segment or a full batch of samples waits, worth writing before the next timer. */
  get full(): boolean {
    return this.predictions.full || this.payloads.full || this.#samples.length >= BATCH_ENTRIES;
  }

  /**
   * Writes what is waiting: sealed segments (with `seal: 'due'` first sealing the open segments
   * older than segmentSealMs, with `'all'` every open one) and samples, at most BATCH_ENTRIES per
   * statement. With `full` only, just sealed segments and full batches. On failure what was not
   * written is put back (up to the bound) for the next flush, and the error is thrown.
   */
  async flush(stores: SegmentStores & { readonly samples: SampleStore }, options: { readonly full?: boolean; readonly seal?: 'due' | 'all' } = {}): Promise<void> {
    const full = options.full === true;
    if (options.seal === 'all') await this.settled();
    if (!full) {
      this.predictions.seal(options.seal === 'all');
      this.payloads.seal(options.seal === 'all');
    }
    let failure: unknown;
    for (const log of [this.predictions, this.payloads]) {
      try {
        await log.write(stores);
      } catch (error) {
        failure ??= error;
      }
    }
    while (this.#samples.length > 0 && (!full || this.#samples.length >= BATCH_ENTRIES)) {
      const samples = this.#samples.splice(0, BATCH_ENTRIES);
      try {
        await stores.samples.appendSamples(sampleRows(samples, this.options.sampleMaxBytes, this.#isoOf));
      } catch (error) {
        const merged = [...samples, ...this.#samples];
        this.#droppedSamples += Math.max(0, merged.length - this.options.maxPending);
        this.#samples = merged.slice(0, this.options.maxPending);
        failure ??= error;
        break;
      }
      if (this.#samples.length > 0) await nextTurn();
    }
    if (failure !== undefined) throw failure;
  }

  /** The predictions of `ids` (of `model`) not written yet, the later of a repeated id winning. */
  findPending(model: string, ids: readonly string[]): Map<string, FoundEntry> {
    const found = new Map<string, FoundEntry>();
    this.predictions.findPending(model, new Set(ids.map(normaliseId)), found);
    return found;
  }

  /** Removes the logs' staging files. */
  async close(): Promise<void> {
    await this.settled();
    await this.predictions.close();
    await this.payloads.close();
  }

  #payloadsOf(model: string): ModelPayloadSettings {
    let settings = this.#payloadSettings.get(model);
    if (settings === undefined) {
      settings = this.options.payloads(model);
      this.#payloadSettings.set(model, settings);
    }
    return settings;
  }

  readonly #isoOf = (ms: number): string => {
    const last = this.#lastIso;
    if (ms === last.ms) return last.text;
    const second = Math.floor(ms / 1000);
    // The fast path needs the common form, YYYY-MM-DDTHH:MM:SS.mmmZ (24 characters).
    const text = second === last.second && Number.isInteger(ms) && last.text.length === 24 ? `${last.text.slice(0, 20)}${String(ms - second * 1000).padStart(3, '0')}Z` : iso(ms);
    this.#lastIso = { ms, second, text };
    return text;
  };

  /** A sample of a large request: the records of its first rows while they fit in sampleMaxBytes, else the marker of a truncated sample. */
  #sampleOf(event: PredictionEvent, columns: RowColumns): PredictionEvent {
    const { rowColumns: _, ...head } = event;
    const max = this.options.sampleMaxBytes;
    return { ...head, request: recordsWithin(columns, 'features', event.rows, max), response: recordsWithin(columns, 'outputs', event.rows, max) };
  }

  #withinCap(event: PredictionEvent): boolean {
    const minute = Math.floor(event.at / 60_000);
    const state = this.#sampledPerMinute.get(event.model);
    if (state === undefined || state.minute !== minute) {
      this.#sampledPerMinute.set(event.model, { minute, count: 1 });
      return this.options.sampleMaxPerMinute > 0;
    }
    if (state.count >= this.options.sampleMaxPerMinute) return false;
    state.count += 1;
    return true;
  }
}

/** A request's payload log entry: the fields its model's settings keep. */
function payloadEntry(event: PredictionEvent, settings: ModelPayloadSettings): LogEntry {
  const outputs = settings.fields.includes('outputs');
  const inputs = settings.fields.includes('inputs');
  return {
    requestId: event.requestId,
    at: event.at,
    version: event.version,
    rows: event.rows,
    outputs: outputs ? event.outputs : undefined,
    features: inputs ? event.features : undefined,
    ...(event.rowColumns !== undefined ? { rowColumns: onlyColumns(event.rowColumns, inputs, outputs) } : {}),
  };
}

/** `columns` reading only the parts asked for (and that it has). */
function onlyColumns(columns: RowColumns, features: boolean, outputs: boolean): RowColumns {
  const parts = { features: features && columns.features, outputs: outputs && columns.outputs };
  return { ...parts, width: columns.width, read: (rows) => columns.read(rows, parts) };
}

/** A large entry with its columns read whole, for a consumer that takes entries as columns (the CloudEvents sink). */
function wholeEntry(entry: LogEntry): LogEntry {
  const { rowColumns, ...head } = entry;
  return { ...head, ...rowColumns!.read({ from: 0, to: entry.rows }) };
}

/** Rows read for a sample per slice. */
const SAMPLE_SLICE_ROWS = 256;

/**
 * The records of `part` of a large request while their JSON fits in `maxBytes` (then every row),
 * else the marker of a truncated sample; it reads no further than the cap.
 */
function recordsWithin(columns: RowColumns, part: 'features' | 'outputs', rows: number, maxBytes: number): unknown {
  const out: Record<string, unknown>[] = [];
  // The JSON text of the array so far: brackets, and each record with a comma but the first.
  let bytes = 1;
  const parts = { features: part === 'features', outputs: part === 'outputs' };
  for (let from = 0; from < rows; from += SAMPLE_SLICE_ROWS) {
    const to = Math.min(rows, from + SAMPLE_SLICE_ROWS);
    for (const record of records(columns.read({ from, to }, parts)[part], to - from)) {
      bytes += Buffer.byteLength(toJson(record)) + 1;
      if (bytes > maxBytes) return { truncated: true, rows };
      out.push(record);
    }
  }
  return out;
}

/** Samples as the JSON array text SampleStore.appendSamples takes, one per request id. */
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
