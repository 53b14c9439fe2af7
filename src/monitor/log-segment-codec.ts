/**
 * Reads log segments (the format is described in segment-format.ts; SegmentBuilder writes them).
 * Columns are decompressed on libuv's thread pool and kept as typed arrays; values are made into
 * JavaScript values only for the entries asked for, so a lookup of a few ids in a segment of
 * 65,536 holds the event loop for a few milliseconds, not for the whole segment.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { type Columns } from './prediction-event.js';
import { type LoggedEntry } from './segment-builder.js';
import { decompress, FORMAT, MAGIC, readVarints, REST_BYTES, type SegmentHeader } from './segment-format.js';
import { IdIndex } from './segment-id-index.js';

export { encodeSegment, type LogEntry, type LoggedEntry, SegmentBuilder } from './segment-builder.js';
export { type SegmentHeader, uuidV7Time } from './segment-format.js';
export { IdIndex, requestKey, type RequestKey } from './segment-id-index.js';

/** Ids indexed between turns of the event loop. */
const INDEX_SLICE = 16_384;

/** A segment read back: its header and its columns, decoded on demand. */
export class SegmentReader {
  readonly header: SegmentHeader;
  readonly #body: Buffer;
  readonly #decoded = new Map<string, Promise<Column>>();
  #index: Promise<IdIndex> | undefined;
  #ids: Promise<Ids> | undefined;
  #arrivals: Promise<Float64Array> | undefined;
  #starts: Promise<Float64Array> | undefined;

  /** Throws a TypeError when `file` is not a segment (the blob store checks digests, so this means a bug or a foreign blob). */
  constructor(file: Buffer) {
    if (file.length < 12 || !file.subarray(0, 8).equals(MAGIC)) throw new TypeError('not a Berth log segment');
    const length = file.readUInt32LE(8);
    this.header = JSON.parse(file.subarray(12, 12 + length).toString('utf8')) as SegmentHeader;
    if (this.header.format !== FORMAT) throw new TypeError(`log segment format ${this.header.format} is not readable by this Berth (it reads ${FORMAT})`);
    this.#body = file.subarray(12 + length);
  }

  /** The request ids, in the order they came (UUIDv7s in lower case). */
  async requestIds(): Promise<string[]> {
    const ids = await this.#requestIdColumns();
    return Array.from({ length: this.header.entries }, (_, i) => requestIdAt(ids, i));
  }

  /** Where each request id is (the last position of an id logged twice); built once per reader. */
  idIndex(): Promise<IdIndex> {
    return (this.#index ??= this.#buildIndex());
  }

  async #buildIndex(): Promise<IdIndex> {
    const ids = await this.#requestIdColumns();
    const index = new IdIndex(this.header.entries);
    for (let i = 0; i < this.header.entries; i++) {
      // A few milliseconds of indexing at a time, so that requests are answered meanwhile.
      if (i > 0 && i % INDEX_SLICE === 0) await nextTurn();
      const own = ids.text?.[i];
      if (typeof own === 'string') index.addText(i, own);
      else index.addTime(i, ids.ms[i]!, ids.rest, ids.restAt?.[i] ?? i * REST_BYTES);
    }
    return index;
  }

  /** Arrival times, epoch ms. */
  async arrivals(): Promise<number[]> {
    return Array.from(await this.#arrivalTimes());
  }

  /** The version that answered each request. */
  async versions(): Promise<string[]> {
    const indexes = await this.#entryNumbers('version');
    return Array.from(indexes, (i) => this.header.versions[i]!);
  }

  async rows(): Promise<number[]> {
    return Array.from(await this.#entryNumbers('rows'));
  }

  /** Names of the logged output (`out`) or input (`in`) columns. */
  columnNames(kind: 'out' | 'in'): string[] {
    const prefix = `${kind}.`;
    return this.header.columns.filter((c) => c.name.startsWith(prefix)).map((c) => c.name.slice(prefix.length));
  }

  /** Every value of a column, one per row of every request (see SegmentHeader.rows). */
  async values(kind: 'out' | 'in', name: string): Promise<unknown[]> {
    const column = await this.#column(`${kind}.${name}`);
    return Array.from({ length: this.header.rows }, (_, i) => valueAt(column, i));
  }

  /** The columns of `kind` of the requests at `indexes` (entry positions), each as Columns. */
  async columnsOf(kind: 'out' | 'in', indexes: readonly number[]): Promise<Columns[]> {
    const [rows, starts] = await Promise.all([this.#entryNumbers('rows'), this.#rowStarts()]);
    const names = this.columnNames(kind);
    const columns = await Promise.all(names.map((n) => this.#column(`${kind}.${n}`)));
    return indexes.map((i) => {
      const out: Record<string, unknown[]> = {};
      names.forEach((name, c) => {
        const slice: unknown[] = [];
        for (let r = starts[i]!, end = r + rows[i]!; r < end; r++) slice.push(valueAt(columns[c]!, r));
        // A request that had no such column logged nulls for it.
        if (slice.some((v) => v !== null)) out[name] = slice;
      });
      return out;
    });
  }

  /**
   * The entries at `indexes` (positions), with their inputs when `features`; reads only the columns
   * they need. `ids`, when given, are their request ids as the caller found them (not read again).
   */
  async entriesAt(indexes: readonly number[], options: { readonly features?: boolean; readonly ids?: readonly string[] } = {}): Promise<LoggedEntry[]> {
    const [ids, versions, arrivals, rows, outputs, features] = await Promise.all([
      this.#requestIdColumns(),
      this.#entryNumbers('version'),
      this.#arrivalTimes(),
      this.#entryNumbers('rows'),
      this.columnsOf('out', indexes),
      options.features === true ? this.columnsOf('in', indexes) : undefined,
    ]);
    return indexes.map((i, h) => ({
      requestId: options.ids?.[h] ?? requestIdAt(ids, i),
      version: this.header.versions[versions[i]!]!,
      at: arrivals[i]!,
      rows: rows[i]!,
      outputs: outputs[h]!,
      ...(features === undefined ? {} : { features: features[h]! }),
    }));
  }

  #requestIdColumns(): Promise<Ids> {
    return (this.#ids ??= (async () => {
      const [delta, restColumn, textColumn, at] = await Promise.all([this.#entryNumbers('id.ms'), this.#column('id.rest'), this.#column('id.text'), this.#arrivalTimes()]);
      const ms = new Float64Array(this.header.entries);
      for (let i = 0; i < ms.length; i++) ms[i] = at[i]! + (delta[i] ?? 0);
      const rest = restColumn.kind === 'bytes' ? restColumn.bytes : Buffer.alloc(0);
      const text = textColumn.kind === 'list' ? textColumn.values : undefined;
      // The UUIDv7s' bytes are packed: an id's place among them skips the text ids before it.
      let restAt: Int32Array | undefined;
      if (text !== undefined) {
        restAt = new Int32Array(ms.length);
        for (let i = 0, r = 0; i < ms.length; i++) {
          restAt[i] = r;
          if (typeof text[i] !== 'string') r += REST_BYTES;
        }
      }
      return { ms, rest, text, restAt };
    })());
  }

  #arrivalTimes(): Promise<Float64Array> {
    return (this.#arrivals ??= this.#entryNumbers('at').then((deltas) => {
      const times = new Float64Array(deltas.length);
      let last = 0;
      for (let i = 0; i < deltas.length; i++) times[i] = last += deltas[i]!;
      return times;
    }));
  }

  #rowStarts(): Promise<Float64Array> {
    return (this.#starts ??= this.#entryNumbers('rows').then((rows) => {
      const starts = new Float64Array(rows.length);
      let start = 0;
      for (let i = 0; i < rows.length; i++) {
        starts[i] = start;
        start += rows[i]!;
      }
      return starts;
    }));
  }

  /** A column of one number per entry (empty when the segment has no such column). */
  async #entryNumbers(name: string): Promise<Float64Array> {
    const column = await this.#column(name);
    return column.kind === 'numbers' && column.values instanceof Float64Array ? column.values : new Float64Array(0);
  }

  #column(name: string): Promise<Column> {
    let decoded = this.#decoded.get(name);
    if (decoded === undefined) {
      decoded = this.#decode(name);
      this.#decoded.set(name, decoded);
    }
    return decoded;
  }

  async #decode(name: string): Promise<Column> {
    const info = this.header.columns.find((c) => c.name === name);
    if (info === undefined) return { kind: 'absent' };
    const raw = await decompress(this.#body.subarray(info.offset, info.offset + info.length));
    // Columns decompressed together finish together: each is decoded in a turn of its own.
    await nextTurn();
    const perEntry = !name.startsWith('in.') && !name.startsWith('out.');
    switch (info.encoding) {
      case 'varint':
      case 'zigzag':
        return { kind: 'numbers', values: readVarints(raw, info.encoding === 'zigzag', perEntry ? this.header.entries : this.header.rows) };
      case 'f32':
        return { kind: 'numbers', values: new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length)) };
      case 'f64':
        return { kind: 'numbers', values: new Float64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length)) };
      case 'dict':
        return { kind: 'dict', indexes: readVarints(raw, false, this.header.rows), dictionary: (info.dictionary ?? []).map((text) => JSON.parse(text) as unknown) };
      case 'json':
        return { kind: 'list', values: JSON.parse(raw.toString('utf8')) as unknown[] };
      case 'bytes':
        return { kind: 'bytes', bytes: raw };
    }
  }
}

/** A decoded column: typed arrays where the encoding allows, values materialised only when asked for. */
type Column =
  | { readonly kind: 'numbers'; readonly values: Float32Array | Float64Array }
  | { readonly kind: 'dict'; readonly indexes: Float64Array; readonly dictionary: readonly unknown[] }
  | { readonly kind: 'list'; readonly values: readonly unknown[] }
  | { readonly kind: 'bytes'; readonly bytes: Buffer }
  | { readonly kind: 'absent' };

/** The id columns decoded: each id's time, the UUIDv7s' other bytes, the text ids, and where each id's bytes start. */
interface Ids {
  readonly ms: Float64Array;
  readonly rest: Buffer;
  readonly text: readonly unknown[] | undefined;
  readonly restAt: Int32Array | undefined;
}

function valueAt(column: Column, i: number): unknown {
  switch (column.kind) {
    case 'numbers':
      return column.values[i];
    case 'dict':
      return column.dictionary[column.indexes[i]!] ?? null;
    case 'list':
      return column.values[i];
    default:
      return null;
  }
}

function requestIdAt(ids: Ids, i: number): string {
  const own = ids.text?.[i];
  if (typeof own === 'string') return own;
  const r = ids.restAt?.[i] ?? i * REST_BYTES;
  const time = ids.ms[i]!.toString(16).padStart(12, '0');
  const tail = ids.rest.toString('hex', r, r + REST_BYTES);
  return `${time.slice(0, 8)}-${time.slice(8)}-${tail.slice(0, 4)}-${tail.slice(4, 8)}-${tail.slice(8)}`;
}
