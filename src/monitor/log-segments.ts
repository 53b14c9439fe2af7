/**
 * The monitor's logs as segment files in the blob store: the prediction log (every answered
 * request's outputs, what feedback joins to) and the payload log (a share of requests' inputs and
 * outputs). A replica gathers each model's entries in an open segment in memory; it seals the
 * segment after `sealMs`, at `maxEntries` entries, or before an entry would widen the range of its
 * ids' times past SEGMENT_SPAN_MS, then writes it off the request path: each entry goes into the
 * segment's columns as it comes (SegmentBuilder), and a sealed segment is compressed on the thread
 * pool, stored as one immutable blob, then recorded as one row of the metadata database
 * (LogSegmentStore). No row per request.
 *
 * Finding a request: a UUIDv7 id carries the time it was made, and a segment's row records the
 * range of its ids' times, so the segments that may hold an id of time t are those whose range holds
 * t and ends within SEGMENT_SPAN_MS after it: one index range scan. Ids that carry no time (not
 * UUIDv7), or a time more than ID_CLOCK_TOLERANCE_MS from when the request came, are kept in the
 * segment too but left out of its range; its row holds a Bloom filter of them instead.
 *
 * Crash safety: a segment's blob is complete and durable before its row exists, and never changes
 * after; a replica killed mid-segment loses the segments it had not written (at most `sealMs` of
 * entries plus one flush), never a written one. A blob whose row was never written is unreferenced
 * and goes with the registry's garbage collection.
 *
 * Bounded: at most `maxPending` entries wait in memory per log, an entry counting one per
 * ROWS_PER_PENDING_ENTRY rows it holds; beyond it entries are dropped and counted (`dropped`).
 *
 * Large entries (`rowColumns`, a request of many rows) are put into the columns a slice at a time,
 * about CELLS_PER_TURN values per turn of the event loop, so one large request never holds the loop
 * for long; the entries of the log that come meanwhile wait behind it, so entries keep their order.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 } from 'uuid';
import type { LogSegmentKind, LogSegmentRecord, MonitorStores } from '../store/index.js';
import { bloomFilter, bloomFilterOf } from './bloom-filter.js';
import { type LogEntry, type LoggedEntry, requestKey, type RequestKey, SegmentBuilder, SegmentReader, uuidV7Time } from './log-segment-codec.js';
import { type Columns } from './prediction-event.js';
import { SealedQueue } from './sealed-queue.js';

/**
 * Widest range of id times in one segment. A lookup scans the index entries of every segment whose
 * range ends within this span after the id, so it is short; sealing by age keeps segments shorter still.
 */
export const SEGMENT_SPAN_MS = 60_000;
/**
 * How far an id's time may be from the request's arrival and still be found by time. The server's
 * own ids are made when a request arrives, so only a caller's ids from another clock come near it.
 */
export const ID_CLOCK_TOLERANCE_MS = 250;

/** Values (rows times columns) put into a log's columns per turn of the event loop while large entries wait. */
export const CELLS_PER_TURN = 16_384;

/** Rows that count as one entry towards `maxPending`: a large request holds as much as many small ones. */
export const ROWS_PER_PENDING_ENTRY = 64;

/** What an entry of `rows` rows counts towards `maxPending`. */
export function pendingWeight(rows: number): number {
  return Math.max(1, Math.ceil(rows / ROWS_PER_PENDING_ENTRY));
}

/** Where segments go: their rows and their blobs. */
export type SegmentStores = Pick<MonitorStores, 'segments' | 'blobs' | 'stillReferenced'>;

/** Settings of a {@link SegmentLog}. */
export interface SegmentLogOptions {
  readonly kind: LogSegmentKind;
  /** Longest time a segment stays open, ms. */
  readonly sealMs: number;
  /** Most entries in one segment. */
  readonly maxEntries: number;
  /** Most entries waiting in memory (open and sealed); past it entries are dropped and counted. */
  readonly maxPending: number;
  readonly now: () => number;
  /** Hears when a large entry's columns could not be read (its rows are logged as nulls). */
  readonly onError?: (error: unknown) => void;
}

/** A segment being filled or waiting to be written. */
interface Segment {
  readonly model: string;
  /** Its entries, already in columns. */
  readonly builder: SegmentBuilder;
  /** Range of the times of ids found by time; NaN while there is none. */
  idFromMs: number;
  idToMs: number;
  /** Ids found only through the Bloom filter. */
  readonly otherIds: string[];
  firstAtMs: number;
  lastAtMs: number;
  /** When it was opened (the clock), for sealing by age. */
  readonly openedAt: number;
  /** What its entries count towards `maxPending`. */
  weight: number;
}

/** A sealed segment waiting to be written, with its entries and weight as SealedQueue counts them. */
interface Sealed {
  readonly segment: Segment;
  readonly entries: number;
  readonly weight: number;
}

/** An entry waiting to go into its segment behind (or as) a large one. */
interface Waiting {
  readonly model: string;
  readonly entry: LogEntry;
  readonly ms: number | undefined;
  readonly weight: number;
  /** Its segment once begun, and the rows added so far. */
  segment: Segment | undefined;
  done: number;
}

/** A logged request found again. */
export type FoundEntry = LoggedEntry;

/** One log (predictions or payloads) of one replica: open segments per model, sealed ones waiting, and their writing. */
export class SegmentLog {
  readonly kind: LogSegmentKind;
  readonly #options: SegmentLogOptions;
  readonly #open = new Map<string, Segment>();
  readonly #sealed = new SealedQueue<Sealed>();
  /** The segments of the write in progress, still findable until their row exists. */
  #writing: readonly Segment[] = [];
  #openWeight = 0;
  /** Entries waiting to go into their segments, oldest first, and their weight. */
  #waiting: Waiting[] = [];
  #waitingWeight = 0;
  #scheduled = false;
  /** The segment a large entry is being added to: it is not sealed meanwhile. */
  #ingesting: Segment | undefined;
  #settled: (() => void)[] = [];
  #dropped = 0;
  #staging: Promise<string> | undefined;

  constructor(options: SegmentLogOptions) {
    this.kind = options.kind;
    this.#options = options;
  }

  /** Entries dropped because too many waited. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Entries waiting in memory, as they count towards `maxPending` (see pendingWeight). */
  get pending(): number {
    return this.#openWeight + this.#sealed.weight + this.#waitingWeight;
  }

  /** True when a sealed segment waits to be written. */
  get full(): boolean {
    return this.#sealed.length > 0;
  }

  /**
   * Takes a request's entry: it goes into the open segment's columns at once, nothing of it is
   * kept; O(rows). A large entry, and any entry behind one, waits and goes in a slice per turn.
   */
  add(model: string, entry: LogEntry): void {
    if (this.pending >= this.#options.maxPending) {
      this.#dropped += 1;
      return;
    }
    const ms = uuidV7Time(entry.requestId);
    const weight = pendingWeight(entry.rows);
    if (entry.rowColumns !== undefined || this.#waiting.length > 0) {
      this.#waiting.push({ model, entry, ms, weight, segment: undefined, done: 0 });
      this.#waitingWeight += weight;
      this.#schedule();
      return;
    }
    const segment = this.#segmentFor(model, entry, ms);
    segment.builder.add(entry, ms);
    this.#added(segment, entry, ms, weight);
  }

  /** Resolves once no entry waits to go into its segment. */
  settled(): Promise<void> {
    if (this.#waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#settled.push(resolve));
  }

  /** The open segment that takes an entry of `model`, after sealing the open one if the entry's id would widen its range too far. */
  #segmentFor(model: string, entry: LogEntry, ms: number | undefined): Segment {
    let segment = this.#open.get(model);
    if (segment !== undefined && byTime(entry, ms) && segment.builder.entries > 0 && !Number.isNaN(segment.idFromMs)) {
      if (Math.max(segment.idToMs, ms!) - Math.min(segment.idFromMs, ms!) > SEGMENT_SPAN_MS) {
        this.#seal(segment);
        segment = undefined;
      }
    }
    if (segment === undefined) {
      segment = { model, builder: new SegmentBuilder(), idFromMs: Number.NaN, idToMs: Number.NaN, otherIds: [], firstAtMs: entry.at, lastAtMs: entry.at, openedAt: this.#options.now(), weight: 0 };
      this.#open.set(model, segment);
    }
    return segment;
  }

  /** Counts an entry its segment took; seals the segment when full. */
  #added(segment: Segment, entry: LogEntry, ms: number | undefined, weight: number): void {
    this.#openWeight += weight;
    segment.weight += weight;
    if (entry.at < segment.firstAtMs) segment.firstAtMs = entry.at;
    if (entry.at > segment.lastAtMs) segment.lastAtMs = entry.at;
    if (byTime(entry, ms)) {
      if (Number.isNaN(segment.idFromMs) || ms! < segment.idFromMs) segment.idFromMs = ms!;
      if (Number.isNaN(segment.idToMs) || ms! > segment.idToMs) segment.idToMs = ms!;
    } else {
      segment.otherIds.push(entry.requestId);
    }
    if (segment.builder.entries >= this.#options.maxEntries) this.#seal(segment);
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#drain);
  }

  /** Puts about CELLS_PER_TURN values of waiting entries into their segments, in order; then waits for the next turn. */
  readonly #drain = (): void => {
    this.#scheduled = false;
    let budget = CELLS_PER_TURN;
    while (budget > 0 && this.#waiting.length > 0) {
      const waiting = this.#waiting[0]!;
      const { entry } = waiting;
      const columns = entry.rowColumns;
      if (waiting.segment === undefined) {
        waiting.segment = this.#segmentFor(waiting.model, entry, waiting.ms);
        if (columns === undefined) {
          // A small entry that came behind a large one goes in whole.
          waiting.segment.builder.add(entry, waiting.ms);
          waiting.done = entry.rows;
          budget -= Math.max(1, entry.rows) * (columnCount(entry.outputs) + columnCount(entry.features) + 1);
        } else {
          waiting.segment.builder.begin(entry, waiting.ms);
          this.#ingesting = waiting.segment;
        }
      }
      if (columns !== undefined && waiting.done < entry.rows) {
        const width = Math.max(1, columns.width);
        const to = Math.min(entry.rows, waiting.done + Math.max(1, Math.floor(budget / width)));
        waiting.segment.builder.addRows(this.#read(columns, waiting.done, to), waiting.done, to - waiting.done);
        budget -= (to - waiting.done) * width;
        waiting.done = to;
      }
      if (waiting.done < entry.rows) break;
      if (columns !== undefined) {
        waiting.segment.builder.end();
        this.#ingesting = undefined;
      }
      this.#waiting.shift();
      this.#waitingWeight -= waiting.weight;
      this.#added(waiting.segment, entry, waiting.ms, waiting.weight);
    }
    if (this.#waiting.length > 0) this.#schedule();
    else for (const resolve of this.#settled.splice(0)) resolve();
  };

  /** A slice of a large entry's columns; when they cannot be read, none (its rows are logged as nulls). */
  #read(columns: NonNullable<LogEntry['rowColumns']>, from: number, to: number): { outputs?: Columns | undefined; features?: Columns | undefined } {
    try {
      return columns.read({ from, to });
    } catch (error) {
      this.#options.onError?.(error);
      return {};
    }
  }

  /** Seals the open segments older than `sealMs`, or every open segment with `all`. */
  seal(all: boolean): void {
    const now = this.#options.now();
    for (const segment of [...this.#open.values()]) {
      if (segment === this.#ingesting) continue;
      if (segment.builder.entries > 0 && (all || now - segment.openedAt >= this.#options.sealMs)) this.#seal(segment);
    }
  }

  /**
   * Writes the sealed segments, one at a time: the blob first, then its row. On failure the
   * segments not written are put back (up to the bound) and the error is thrown.
   */
  async write(stores: SegmentStores): Promise<void> {
    while (this.#sealed.length > 0) {
      const [sealed] = this.#sealed.take(1);
      this.#writing = [sealed!.segment];
      try {
        await this.#store(stores, sealed!.segment);
      } catch (error) {
        this.#sealed.putBack([sealed!]);
        this.#dropped += this.#sealed.trimTo(this.#options.maxPending - this.#openWeight - this.#waitingWeight);
        throw error;
      } finally {
        this.#writing = [];
      }
    }
  }

  /**
   * The entries of `ids` (normalised, of `model`) still in memory, the later of a repeated id
   * winning: in the segments being written, sealed and open, then among the entries still waiting
   * to go into their segment (the newest), so feedback sent as soon as a large request's answer
   * came finds it while its rows are being sliced in. A waiting large entry's columns are read
   * whole for it, as a segment's entry would be.
   */
  findPending(model: string, ids: ReadonlySet<string>, found: Map<string, FoundEntry>): void {
    const segments = [...this.#writing, ...this.#sealedSegments(), this.#open.get(model)].filter((s): s is Segment => s !== undefined && s.model === model);
    if (segments.length > 0) {
      const keys = [...ids].map((id) => [id, requestKey(id)] as const);
      for (const segment of segments) {
        for (const [id, key] of keys) {
          const position = segment.builder.find(key);
          if (position !== undefined) found.set(id, segment.builder.entryAt(position, id, true));
        }
      }
    }
    // An entry being sliced in is not found in its segment until its last slice: it is found here.
    for (const waiting of this.#waiting) {
      if (waiting.model !== model) continue;
      const id = normaliseId(waiting.entry.requestId);
      if (ids.has(id)) found.set(id, this.#waitingEntry(waiting.entry, id));
    }
  }

  /** A waiting entry as its segment will give it back (SegmentBuilder.entryAt). */
  #waitingEntry(entry: LogEntry, requestId: string): FoundEntry {
    const columns = entry.rowColumns === undefined ? entry : this.#read(entry.rowColumns, 0, entry.rows);
    return { requestId, version: entry.version, at: Math.trunc(entry.at), rows: entry.rows, outputs: asLogged(columns.outputs, entry.rows), features: asLogged(columns.features, entry.rows) };
  }

  /** Removes the staging folder. */
  async close(): Promise<void> {
    const staging = await this.#staging?.catch(() => undefined);
    if (staging !== undefined) await rm(staging, { recursive: true, force: true });
    this.#staging = undefined;
  }

  #sealedSegments(): Segment[] {
    const taken = this.#sealed.take(this.#sealed.length);
    this.#sealed.putBack(taken);
    return taken.map((s) => s.segment);
  }

  #seal(segment: Segment): void {
    this.#open.delete(segment.model);
    this.#openWeight -= segment.weight;
    this.#sealed.push({ segment, entries: segment.builder.entries, weight: segment.weight });
  }

  async #store(stores: SegmentStores, segment: Segment): Promise<void> {
    const file = await segment.builder.encode();
    this.#staging ??= mkdtemp(join(tmpdir(), 'berth-segment-'));
    const path = join(await this.#staging, `${v7()}.seg`);
    try {
      await writeFile(path, file);
      const blob = await stores.blobs.put(path);
      const record: LogSegmentRecord = {
        id: v7(),
        model: segment.model,
        kind: this.kind,
        digest: blob.digest,
        bytes: blob.size,
        entries: segment.builder.entries,
        ...(Number.isNaN(segment.idFromMs) ? {} : { idFromMs: segment.idFromMs, idToMs: segment.idToMs }),
        ...(segment.otherIds.length > 0 ? { otherIds: bloomFilterOf(segment.otherIds.map(normaliseId)) } : {}),
        firstAtMs: Math.trunc(segment.firstAtMs),
        lastAtMs: Math.trunc(segment.lastAtMs),
      };
      await stores.segments.add(record);
    } finally {
      await rm(path, { force: true });
    }
  }
}

/** True when an entry's id carries a time near its arrival, so it is found by time. */
function byTime(entry: LogEntry, ms: number | undefined): boolean {
  return ms !== undefined && Math.abs(ms - entry.at) <= ID_CLOCK_TOLERANCE_MS;
}

/** An entry's columns as its segment gives them back: `rows` values each (missing ones null), less the columns null throughout. */
function asLogged(columns: Columns | undefined, rows: number): Columns {
  const logged: Record<string, readonly unknown[]> = {};
  if (columns === undefined) return logged;
  for (const [name, values] of Object.entries(columns)) {
    let present = false;
    let holes = values.length !== rows;
    for (let i = 0; i < rows && !(present && holes); i++) {
      const value = values[i];
      if (value === undefined) holes = true;
      else if (value !== null) present = true;
    }
    // A column read whole already has a value (or null) per row: copying it would double the cost.
    if (present) logged[name] = holes ? Array.from({ length: rows }, (_, i) => values[i] ?? null) : values;
  }
  return logged;
}

function columnCount(columns: Columns | undefined): number {
  return columns === undefined ? 0 : Object.keys(columns).length;
}

/** A request id as lookups compare it: UUIDv7s in lower case (their segment stores them so). */
export function normaliseId(id: string): string {
  return uuidV7Time(id) === undefined ? id : id.toLowerCase();
}

/**
 * Reads segment files from the blob store, keeping the last few read (a feedback request's ids
 * mostly fall in the same recent segments).
 */
export class SegmentReaders {
  readonly #cache = new Map<string, Promise<SegmentReader | undefined>>();
  readonly #stores: SegmentStores;
  readonly #onMissing: (digest: string, error: unknown) => void;
  readonly #size: number;

  /** `onMissing` hears of a segment whose blob cannot be read (it is skipped). */
  constructor(stores: SegmentStores, onMissing: (digest: string, error: unknown) => void = () => undefined, size = 16) {
    this.#stores = stores;
    this.#onMissing = onMissing;
    this.#size = size;
  }

  /** The reader of a segment's blob, or undefined when the blob cannot be read. */
  read(digest: string): Promise<SegmentReader | undefined> {
    let reader = this.#cache.get(digest);
    if (reader === undefined) {
      reader = this.#load(digest);
      if (this.#cache.size >= this.#size) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(digest, reader);
    } else {
      this.#cache.delete(digest);
      this.#cache.set(digest, reader);
    }
    return reader;
  }

  async #load(digest: string): Promise<SegmentReader | undefined> {
    const dir = await mkdtemp(join(tmpdir(), 'berth-segment-read-'));
    try {
      const path = join(dir, 'segment');
      await this.#stores.blobs.copyTo(digest, path);
      return new SegmentReader(await readFile(path));
    } catch (error) {
      this.#cache.delete(digest);
      this.#onMissing(digest, error);
      return undefined;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/**
 * The stored entries of `ids` in a model's segments of `kind`, the later of a repeated id winning
 * (segments in the order they were sealed). With `features`, their inputs too.
 */
export async function findStored(
  stores: SegmentStores,
  readers: SegmentReaders,
  kind: LogSegmentKind,
  model: string,
  ids: readonly string[],
  options: { readonly features?: boolean } = {},
): Promise<Map<string, FoundEntry>> {
  const keys: [id: string, key: RequestKey][] = [...new Set(ids.map(normaliseId))].map((id) => [id, requestKey(id)]);
  const times: number[] = [];
  for (const [, key] of keys) if ('ms' in key) times.push(key.ms);
  const segments = new Map<string, LogSegmentRecord>();
  for (const s of await stores.segments.findByIdTimes(model, kind, times, SEGMENT_SPAN_MS)) segments.set(s.id, s);
  // Ids not found by time may be in segments' Bloom filters; those are read only when one may hold an id.
  const others = await stores.segments.withOtherIds(model, kind);
  for (const s of others) {
    const filter = bloomFilter(s.otherIds!);
    if (keys.some(([id]) => filter.mayHold(id))) segments.set(s.id, s);
  }
  const found = new Map<string, FoundEntry>();
  for (const segment of [...segments.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const reader = await readers.read(segment.digest);
    if (reader === undefined) continue;
    const index = await reader.idIndex();
    const hits: number[] = [];
    const hitIds: string[] = [];
    for (const [id, key] of keys) {
      const i = index.find(key);
      if (i === undefined) continue;
      hits.push(i);
      hitIds.push(id);
    }
    if (hits.length === 0) continue;
    const entries = await reader.entriesAt(hits, { ...options, ids: hitIds });
    entries.forEach((entry, h) => found.set(hitIds[h]!, entry));
  }
  return found;
}

/**
 * Every entry of a model's segments of `kind` that came in [from, to), segment by segment in the
 * order they were sealed (within a segment, in the order they came).
 */
export async function* readLogged(stores: SegmentStores, readers: SegmentReaders, kind: LogSegmentKind, model: string, from: number, to: number): AsyncGenerator<FoundEntry> {
  for (const segment of await stores.segments.inRange(model, kind, from, to)) {
    const reader = await readers.read(segment.digest);
    if (reader === undefined) continue;
    const arrivals = await reader.arrivals();
    const indexes = arrivals.map((_, i) => i).filter((i) => arrivals[i]! >= from && arrivals[i]! < to);
    yield* await reader.entriesAt(indexes, { features: true });
  }
}

/**
 * Deletes the segments of `kind` (of `model`, when given) whose latest request came before
 * `before`: the row first, then the blob unless another row still references it. Returns how many.
 */
export async function pruneSegments(stores: SegmentStores, kind: LogSegmentKind, before: number, model?: string): Promise<number> {
  let removed = 0;
  for (;;) {
    const expired = await stores.segments.expired(kind, before, 500, model);
    if (expired.length === 0) return removed;
    await stores.segments.remove(expired.map((s) => s.id));
    const digests = [...new Set(expired.map((s) => s.digest))];
    const kept = await stores.stillReferenced(digests);
    for (const digest of digests) if (!kept.has(digest)) await stores.blobs.delete(digest);
    removed += expired.length;
  }
}
