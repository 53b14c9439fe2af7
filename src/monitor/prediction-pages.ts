/**
 * The paged part of the prediction log: entries whose request id is a time-ordered UUIDv7 (every
 * id the server makes, and callers' own v7 ids from a clock close to ours) are stored in pages of
 * up to PAGE_ENTRIES entries per model, one database row per page, instead of one row per request.
 *
 * Why: the per-request upsert was the largest cost monitoring left in the server, about 4 µs of
 * the SQLite writer thread per request (`perf` on that thread under the monitoring bench's load),
 * competing for the same cores as the event loop. A page costs one insert for PAGE_ENTRIES
 * requests: the writer thread's CPU time under the same load fell to about 1 µs per request. What
 * it costs instead is at feedback time: finding a request means reading the pages that may hold
 * it and parsing them, at most one page per request id looked up.
 *
 * Finding a page without an index on every id: a page records the range of its ids' times
 * [idFromMs, idToMs], and that range never spans more than PAGE_SPAN_MS (a page is sealed before
 * an entry would widen it further). So the pages that may hold an id of time t are those with
 * idToMs in [t, t + PAGE_SPAN_MS] and idFromMs <= t: one index range scan.
 *
 * Ids that are not UUIDv7, or whose time is more than ID_CLOCK_TOLERANCE_MS away from when the
 * request came, stay in the per-request table (monitor_predictions), where any id is found by key.
 */
import { v7 } from 'uuid';
import { type Columns } from './prediction-event.js';
import { SealedQueue } from './sealed-queue.js';
import { toJson } from './to-json.js';

/** Most entries in one page: one page is what one lookup parses at most per request id. */
export const PAGE_ENTRIES = 128;
/**
 * Widest range of id times in one page (see the module comment). A lookup scans the index entries
 * of every page whose range ends within this span after the id, so it is short: at 10,000
 * requests/s a second holds ~80 pages. Under steady traffic pages fill long before; with little
 * traffic a model gets at most about one page per second.
 */
export const PAGE_SPAN_MS = 1_000;
/**
 * How far an id's time may be from the request's arrival and still be paged. The server's own ids
 * are made when a request arrives, so only a caller's ids from another clock come near it. A
 * quarter of PAGE_SPAN_MS, so that the ids of requests arriving within half a span of each other
 * fit one page whatever their clocks: with a tolerance near the span, callers whose clocks differ
 * by about the span would each seal the page the other opened, one page per request.
 */
export const ID_CLOCK_TOLERANCE_MS = 250;

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** The time (epoch ms) in a UUIDv7's first 48 bits, or undefined when `id` is not a UUIDv7. */
export function uuidV7Time(id: string): number | undefined {
  if (id.length !== 36 || !UUID_V7.test(id)) return undefined;
  return Number.parseInt(id.slice(0, 8), 16) * 0x10000 + Number.parseInt(id.slice(9, 13), 16);
}

/** A request in a page: its id, version, arrival (epoch ms), rows and outputs. */
export type PageEntry = readonly [requestId: string, version: string, atMs: number, rows: number, outputs: Columns];

/** A sealed page: `body` is the JSON array of its entries (see PageEntry). */
export interface PredictionPage {
  /** A UUIDv7 given when the page is sealed: pages sort by it in the order they were sealed. */
  readonly id: string;
  readonly model: string;
  readonly idFromMs: number;
  readonly idToMs: number;
  /** When its latest request came, epoch ms (retention goes by it). */
  readonly lastAtMs: number;
  readonly entries: number;
  readonly body: string;
}

/**
 * A page being filled. Its entries stay objects until it is sealed, then become one JSON text in
 * one call: per request that costs a fifth of making each entry's JSON text as it comes (0.6 µs
 * against 3 µs, in a CPU profile of the server under the monitoring bench's load and a
 * microbenchmark of the same entries). They live as objects for at most PAGE_ENTRIES requests,
 * ~13 ms at 10,000 requests/s, mostly dead before the next scavenge: with `--trace-gc` under the
 * monitoring bench's load, scavenges took a median 1.16 ms against 1.09 ms with the log off.
 */
interface OpenPage {
  entries: PageEntry[];
  idFromMs: number;
  idToMs: number;
  lastAtMs: number;
}

/** Open pages per model, and the sealed ones waiting to be written. */
export class PredictionPages {
  /** Sealed pages waiting to be written. */
  readonly sealed = new SealedQueue<PredictionPage>();
  readonly #open = new Map<string, OpenPage>();
  #openEntries = 0;

  /** Entries waiting, in open and sealed pages. */
  get entries(): number {
    return this.#openEntries + this.sealed.entries;
  }

  /** Adds the entry of a request to `model` whose id has time `idMs`; the entry's outputs must not change afterwards. */
  push(model: string, idMs: number, atMs: number, entry: PageEntry): void {
    let page = this.#open.get(model);
    if (page === undefined) {
      page = { entries: [], idFromMs: idMs, idToMs: idMs, lastAtMs: atMs };
      this.#open.set(model, page);
    } else if (page.entries.length > 0 && Math.max(page.idToMs, idMs) - Math.min(page.idFromMs, idMs) > PAGE_SPAN_MS) {
      this.#seal(model, page);
    }
    if (page.entries.length === 0) {
      page.idFromMs = page.idToMs = idMs;
      page.lastAtMs = atMs;
    } else {
      if (idMs < page.idFromMs) page.idFromMs = idMs;
      if (idMs > page.idToMs) page.idToMs = idMs;
      if (atMs > page.lastAtMs) page.lastAtMs = atMs;
    }
    page.entries.push(entry);
    this.#openEntries += 1;
    if (page.entries.length >= PAGE_ENTRIES) this.#seal(model, page);
  }

  /** Seals every open page that holds an entry. */
  sealAll(): void {
    for (const [model, page] of this.#open) if (page.entries.length > 0) this.#seal(model, page);
  }

  #seal(model: string, page: OpenPage): void {
    const entries = page.entries.length;
    this.sealed.push({ id: v7(), model, idFromMs: page.idFromMs, idToMs: page.idToMs, lastAtMs: page.lastAtMs, entries, body: toJson(page.entries) });
    page.entries = [];
    this.#openEntries -= entries;
  }
}
