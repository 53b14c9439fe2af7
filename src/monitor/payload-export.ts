/**
 * What the payload log holds, as flat rows for an export: one per row of each logged request, with
 * the request's inputs by feature name, its outputs as `prediction_<name>`, and the truth sent as
 * feedback (`actual`, empty when none came). With `labelled`, only rows that have the truth.
 */
import type { FeedbackStore } from '../store/index.js';
import { type FeedbackValue } from './feedback.js';
import { normaliseId, readLogged, type SegmentStores, SegmentReaders } from './log-segments.js';

/** One exported row. */
export interface PayloadRow {
  readonly requestId: string;
  readonly row: number;
  /** When the request came, epoch ms. */
  readonly at: number;
  readonly version: string;
  readonly features: Readonly<Record<string, unknown>>;
  readonly prediction: Readonly<Record<string, unknown>>;
  /** The truth sent as feedback, or undefined. */
  readonly actual: FeedbackValue | undefined;
}

/** Options of {@link payloadRows}. */
export interface PayloadRowsOptions {
  /** The range of arrival times [from, to), epoch ms. */
  readonly from: number;
  readonly to: number;
  /** Only rows with feedback. */
  readonly labelled?: boolean;
}

/** The payload log's rows of `model` that came in the range, in the order logged. */
export async function* payloadRows(
  stores: SegmentStores & { readonly feedback: FeedbackStore },
  model: string,
  options: PayloadRowsOptions,
  readers: SegmentReaders = new SegmentReaders(stores),
): AsyncGenerator<PayloadRow> {
  const truth = new TruthByMinute(stores.feedback, model, options);
  for await (const entry of readLogged(stores, readers, 'payloads', model, options.from, options.to)) {
    const actual = await truth.of(entry.requestId, entry.at);
    if (options.labelled === true && actual === undefined) continue;
    for (let r = 0; r < entry.rows; r++) {
      const value = Array.isArray(actual) ? actual[r] : actual;
      if (options.labelled === true && value === undefined) continue;
      yield { requestId: entry.requestId, row: r, at: entry.at, version: entry.version, features: rowOf(entry.features ?? {}, r), prediction: rowOf(entry.outputs, r), actual: value };
    }
  }
}

/** Minutes of feedback kept: a segment spans about one (SEGMENT_SPAN_MS), and replicas' segments overlap a little. */
const TRUTH_MINUTES_KEPT = 4;

/**
 * The truth sent for predictions, read a minute of predictions at a time (a prediction's time is
 * its arrival) and only the last few minutes kept, so a long export never holds all its feedback.
 */
class TruthByMinute {
  readonly #minutes = new Map<number, Promise<Map<string, FeedbackValue | FeedbackValue[]>>>();
  readonly #feedback: FeedbackStore;
  readonly #model: string;
  readonly #range: PayloadRowsOptions;

  constructor(feedback: FeedbackStore, model: string, range: PayloadRowsOptions) {
    this.#feedback = feedback;
    this.#model = model;
    this.#range = range;
  }

  /** The truth of the prediction `requestId` that came at `at`, or undefined. */
  async of(requestId: string, at: number): Promise<FeedbackValue | FeedbackValue[] | undefined> {
    const minute = Math.floor(at / 60_000);
    let truth = this.#minutes.get(minute);
    if (truth === undefined) {
      truth = this.#read(minute);
      if (this.#minutes.size >= TRUTH_MINUTES_KEPT) this.#minutes.delete(this.#minutes.keys().next().value!);
    } else this.#minutes.delete(minute);
    this.#minutes.set(minute, truth);
    return (await truth).get(requestId);
  }

  async #read(minute: number): Promise<Map<string, FeedbackValue | FeedbackValue[]>> {
    const from = Math.max(this.#range.from, minute * 60_000);
    const to = Math.min(this.#range.to, (minute + 1) * 60_000);
    const truth = new Map<string, FeedbackValue | FeedbackValue[]>();
    for (const item of await this.#feedback.joined(this.#model, from, to)) truth.set(normaliseId(item.requestId), JSON.parse(item.actual) as FeedbackValue | FeedbackValue[]);
    return truth;
  }
}

/** The input and output column names of a model's payload segments in the range, in the order first logged. */
export async function payloadColumns(stores: SegmentStores, model: string, options: PayloadRowsOptions, readers: SegmentReaders = new SegmentReaders(stores)): Promise<{ readonly features: string[]; readonly outputs: string[] }> {
  const features = new Set<string>();
  const outputs = new Set<string>();
  for (const segment of await stores.segments.inRange(model, 'payloads', options.from, options.to)) {
    const reader = await readers.read(segment.digest);
    for (const name of reader?.columnNames('in') ?? []) features.add(name);
    for (const name of reader?.columnNames('out') ?? []) outputs.add(name);
  }
  return { features: [...features], outputs: [...outputs] };
}

function rowOf(columns: Readonly<Record<string, readonly unknown[]>>, r: number): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [name, values] of Object.entries(columns)) row[name] = values[r] ?? null;
  return row;
}
