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
import { type Columns, type PredictionEvent } from './prediction-event.js';
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
    const segments = { sealMs: options.segmentSealMs, maxEntries: options.segmentMaxEntries, maxPending: options.maxPending, now: options.now };
    this.predictions = new SegmentLog({ kind: 'predictions', ...segments });
    this.payloads = new SegmentLog({ kind: 'payloads', ...segments });
  }

  /** Takes an answered request: logs its outputs, maybe its payload, and maybe samples it. O(1). */
  add(event: PredictionEvent): void {
    if (event.outcome !== 'success') return;
    if (this.options.predictions && event.outputs !== undefined) {
      this.predictions.add(event.model, { requestId: event.requestId, at: event.at, version: event.version, rows: event.rows, outputs: event.outputs });
    }
    const payload = this.#payloadsOf(event.model);
    if (payload.rate > 0 && (payload.rate >= 1 || this.#random() < payload.rate)) {
      const entry = payloadEntry(event, payload);
      this.payloads.add(event.model, entry);
      this.options.onPayload?.(event.model, entry);
    }
    if (this.options.sampleRate > 0 && this.#random() < this.options.sampleRate && this.#withinCap(event)) {
      if (this.#samples.length < this.options.maxPending) this.#samples.push(event);
      else this.#droppedSamples += 1;
    }
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
  return {
    requestId: event.requestId,
    at: event.at,
    version: event.version,
    rows: event.rows,
    outputs: settings.fields.includes('outputs') ? event.outputs : undefined,
    features: settings.fields.includes('inputs') ? event.features : undefined,
  };
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
