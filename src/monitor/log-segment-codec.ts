/**
 * The file format of a log segment: many logged requests of one model, stored column by column,
 * each column compressed on its own (brotli), so that a reader decompresses only the columns it
 * needs (a feedback lookup reads the request ids first, then the outputs of the requests it found).
 *
 * Layout: `BERTHSEG` (8 bytes), the header's length (uint32 LE), the header (JSON), then the column
 * blocks at the offsets the header gives. Columns:
 * - `id.ms` (zigzag varint, the id's time minus the request's arrival) and `id.rest` (the other 10
 *   bytes of a UUIDv7); ids that are not UUIDv7 in `id.text` (a JSON array, null for UUIDv7 ones);
 * - `at` (zigzag varint deltas of arrival, epoch ms), `version` (varint index into the header's
 *   versions), `rows` (varint);
 * - `out.<name>` and `in.<name>` per output and input column: one value per row of every request,
 *   as float32 when every value is a float32 (ONNX outputs are), float64 when all are numbers,
 *   a dictionary of JSON texts when they repeat, else a JSON array; null where a request has no
 *   such column;
 *
 * Arrival times and id times are nearly equal and requests come in order, so the varint columns
 * compress to almost nothing; what remains is the ids' random bits and the outputs' values.
 */
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants } from 'node:zlib';
import { type Columns } from './prediction-event.js';
import { toJson } from './to-json.js';

const compress = promisify(brotliCompress);
const decompress = promisify(brotliDecompress);

const MAGIC = Buffer.from('BERTHSEG');
const FORMAT = 1;
/** Most distinct values a column keeps as a dictionary; past it the column is JSON. */
const MAX_DICTIONARY = 4096;
/** Brotli's quality: 5 compresses these columns nearly as well as 11 at a small part of its CPU time. */
const QUALITY = 5;

/** One logged request. */
export interface LogEntry {
  readonly requestId: string;
  /** When the request came, epoch ms. */
  readonly at: number;
  readonly version: string;
  readonly rows: number;
  readonly outputs?: Columns | undefined;
  /** Input features as columns (payload segments). */
  readonly features?: Columns | undefined;
}

/** A column block's place in the file. */
interface ColumnInfo {
  readonly name: string;
  readonly encoding: 'varint' | 'zigzag' | 'bytes' | 'f32' | 'f64' | 'dict' | 'json';
  readonly offset: number;
  readonly length: number;
  /** The dictionary of a `dict` column (JSON texts). */
  readonly dictionary?: readonly string[];
}

/** A segment's header. */
export interface SegmentHeader {
  readonly format: number;
  readonly entries: number;
  /** Rows of every request together (the length of each `in.` and `out.` column). */
  readonly rows: number;
  readonly versions: readonly string[];
  readonly columns: readonly ColumnInfo[];
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** The time (epoch ms) in a UUIDv7's first 48 bits, or undefined when `id` is not a UUIDv7. */
export function uuidV7Time(id: string): number | undefined {
  if (id.length !== 36 || !UUID_V7.test(id)) return undefined;
  return Number.parseInt(id.slice(0, 8), 16) * 0x10000 + Number.parseInt(id.slice(9, 13), 16);
}

/** The key of a request id in SegmentReader.positions. */
export function segmentKey(id: string): string {
  const ms = uuidV7Time(id);
  if (ms === undefined) return `t${id}`;
  const hex = id.toLowerCase();
  return `${ms}:${Buffer.from(hex.slice(14, 18) + hex.slice(19, 23) + hex.slice(24), 'hex').toString('latin1')}`;
}

/** Encodes entries (in the order they came) as one segment file. */
export async function encodeSegment(entries: readonly LogEntry[]): Promise<Buffer> {
  const blocks: { name: string; encoding: ColumnInfo['encoding']; raw: Buffer; dictionary?: readonly string[] }[] = [];
  const idMs = new ByteWriter();
  const idRest = new ByteWriter();
  const idText: (string | null)[] = [];
  let textIds = 0;
  const at = new ByteWriter();
  const versionIndex = new ByteWriter();
  const rowCounts = new ByteWriter();
  const versions = new Map<string, number>();
  let lastAt = 0;
  let totalRows = 0;
  for (const entry of entries) {
    const arrival = Math.trunc(entry.at);
    const ms = uuidV7Time(entry.requestId);
    if (ms === undefined) {
      idText.push(entry.requestId);
      textIds += 1;
      idMs.zigzag(0);
    } else {
      idText.push(null);
      idMs.zigzag(ms - arrival);
      const hex = entry.requestId.toLowerCase();
      idRest.bytes(Buffer.from(hex.slice(14, 18) + hex.slice(19, 23) + hex.slice(24), 'hex'));
    }
    at.zigzag(arrival - lastAt);
    lastAt = arrival;
    let index = versions.get(entry.version);
    if (index === undefined) versions.set(entry.version, (index = versions.size));
    versionIndex.varint(index);
    rowCounts.varint(entry.rows);
    totalRows += entry.rows;
  }
  blocks.push({ name: 'id.ms', encoding: 'zigzag', raw: idMs.done() });
  blocks.push({ name: 'id.rest', encoding: 'bytes', raw: idRest.done() });
  if (textIds > 0) blocks.push({ name: 'id.text', encoding: 'json', raw: Buffer.from(toJson(idText)) });
  blocks.push({ name: 'at', encoding: 'zigzag', raw: at.done() });
  blocks.push({ name: 'version', encoding: 'varint', raw: versionIndex.done() });
  blocks.push({ name: 'rows', encoding: 'varint', raw: rowCounts.done() });
  for (const [prefix, pick] of [
    ['out.', (e: LogEntry) => e.outputs],
    ['in.', (e: LogEntry) => e.features],
  ] as const) {
    for (const name of columnNames(entries, pick)) blocks.push({ name: prefix + name, ...encodeValues(flatten(entries, pick, name)) });
  }
  const compressed = await Promise.all(
    blocks.map((b) => compress(b.raw, { params: { [constants.BROTLI_PARAM_QUALITY]: QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: b.raw.length } })),
  );
  let offset = 0;
  const columns: ColumnInfo[] = blocks.map((b, i) => {
    const info: ColumnInfo = { name: b.name, encoding: b.encoding, offset, length: compressed[i]!.length, ...(b.dictionary ? { dictionary: b.dictionary } : {}) };
    offset += compressed[i]!.length;
    return info;
  });
  const header: SegmentHeader = { format: FORMAT, entries: entries.length, rows: totalRows, versions: [...versions.keys()], columns };
  const headerText = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerText.length);
  return Buffer.concat([MAGIC, length, headerText, ...compressed]);
}

/** A segment read back: its header and its columns, decoded on demand. */
export class SegmentReader {
  readonly header: SegmentHeader;
  readonly #body: Buffer;
  readonly #decoded = new Map<string, Promise<unknown[] | Buffer>>();
  #ids: Promise<string[]> | undefined;
  #index: Promise<Map<string, number>> | undefined;
  #starts: Promise<number[]> | undefined;
  #arrivals: Promise<number[]> | undefined;
  #versions: Promise<string[]> | undefined;

  /** Throws a TypeError when `file` is not a segment (the blob store checks digests, so this means a bug or a foreign blob). */
  constructor(file: Buffer) {
    if (file.length < 12 || !file.subarray(0, 8).equals(MAGIC)) throw new TypeError('not a Berth log segment');
    const length = file.readUInt32LE(8);
    this.header = JSON.parse(file.subarray(12, 12 + length).toString('utf8')) as SegmentHeader;
    if (this.header.format !== FORMAT) throw new TypeError(`log segment format ${this.header.format} is not readable by this Berth (it reads ${FORMAT})`);
    this.#body = file.subarray(12 + length);
  }

  /** The request ids, in the order they came (UUIDv7s in lower case). */
  requestIds(): Promise<string[]> {
    return (this.#ids ??= this.#requestIds());
  }

  /** Where each request id is, by its segmentKey (the last position of an id logged twice). */
  positions(): Promise<Map<string, number>> {
    return (this.#index ??= this.#positions());
  }

  async #positions(): Promise<Map<string, number>> {
    const [ms, rest, text, at] = await Promise.all([this.#numbers('id.ms'), this.#raw('id.rest'), this.#json('id.text'), this.arrivals()]);
    const index = new Map<string, number>();
    let r = 0;
    for (let i = 0; i < this.header.entries; i++) {
      const own = text?.[i];
      if (typeof own === 'string') index.set(`t${own}`, i);
      else {
        // The same key segmentKey makes, without formatting the id as hex.
        index.set(`${at[i]! + ms[i]!}:${rest.toString('latin1', r, r + 10)}`, i);
        r += 10;
      }
    }
    return index;
  }

  async #requestIds(): Promise<string[]> {
    const { entries } = this.header;
    const [ms, rest, text, at] = await Promise.all([this.#numbers('id.ms'), this.#raw('id.rest'), this.#json('id.text'), this.arrivals()]);
    const ids: string[] = [];
    let r = 0;
    for (let i = 0; i < entries; i++) {
      const own = text?.[i];
      if (typeof own === 'string') {
        ids.push(own);
        continue;
      }
      const time = (at[i]! + ms[i]!).toString(16).padStart(12, '0');
      const tail = rest.subarray(r, r + 10).toString('hex');
      r += 10;
      ids.push(`${time.slice(0, 8)}-${time.slice(8)}-${tail.slice(0, 4)}-${tail.slice(4, 8)}-${tail.slice(8)}`);
    }
    return ids;
  }

  /** Arrival times, epoch ms. */
  arrivals(): Promise<number[]> {
    return (this.#arrivals ??= this.#numbers('at').then((deltas) => {
      let last = 0;
      return deltas.map((d) => (last += d));
    }));
  }

  /** The version that answered each request. */
  versions(): Promise<string[]> {
    return (this.#versions ??= this.#numbers('version').then((indexes) => indexes.map((i) => this.header.versions[i]!)));
  }

  async rows(): Promise<number[]> {
    return this.#numbers('rows');
  }

  /** Names of the logged output (`out`) or input (`in`) columns. */
  columnNames(kind: 'out' | 'in'): string[] {
    const prefix = `${kind}.`;
    return this.header.columns.filter((c) => c.name.startsWith(prefix)).map((c) => c.name.slice(prefix.length));
  }

  /** Every value of a column, one per row of every request (see SegmentHeader.rows). */
  async values(kind: 'out' | 'in', name: string): Promise<unknown[]> {
    return (await this.#column(`${kind}.${name}`)) as unknown[];
  }

  /** The columns of `kind` of the requests at `indexes` (entry positions), each as Columns. */
  async columnsOf(kind: 'out' | 'in', indexes: readonly number[]): Promise<Columns[]> {
    const [rows, starts] = await Promise.all([this.rows(), this.#rowStarts()]);
    const names = this.columnNames(kind);
    const values = await Promise.all(names.map((n) => this.values(kind, n)));
    return indexes.map((i) => {
      const columns: Record<string, unknown[]> = {};
      names.forEach((name, c) => {
        const slice = values[c]!.slice(starts[i]!, starts[i]! + rows[i]!);
        // A request that had no such column logged nulls for it.
        if (slice.some((v) => v !== null)) columns[name] = slice;
      });
      return columns;
    });
  }

  #rowStarts(): Promise<number[]> {
    return (this.#starts ??= this.rows().then((rows) => {
      const starts: number[] = [];
      let start = 0;
      for (const n of rows) {
        starts.push(start);
        start += n;
      }
      return starts;
    }));
  }

  async #numbers(name: string): Promise<number[]> {
    return ((await this.#column(name)) as number[] | undefined) ?? [];
  }

  async #raw(name: string): Promise<Buffer> {
    const info = this.header.columns.find((c) => c.name === name);
    return info ? decompress(this.#body.subarray(info.offset, info.offset + info.length)) : Buffer.alloc(0);
  }

  async #json(name: string): Promise<unknown[] | undefined> {
    const info = this.header.columns.find((c) => c.name === name);
    return info ? ((await this.#column(name)) as unknown[]) : undefined;
  }

  #column(name: string): Promise<unknown[] | Buffer> {
    let decoded = this.#decoded.get(name);
    if (decoded === undefined) {
      decoded = this.#decode(name);
      this.#decoded.set(name, decoded);
    }
    return decoded;
  }

  async #decode(name: string): Promise<unknown[] | Buffer> {
    const info = this.header.columns.find((c) => c.name === name);
    if (info === undefined) return [];
    const raw = await this.#raw(name);
    switch (info.encoding) {
      case 'varint':
      case 'zigzag':
        return readVarints(raw, info.encoding === 'zigzag');
      case 'f32':
        return Array.from(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length)));
      case 'f64':
        return Array.from(new Float64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length)));
      case 'dict': {
        const dictionary = (info.dictionary ?? []).map((text) => JSON.parse(text) as unknown);
        return readVarints(raw, false).map((i) => dictionary[i] ?? null);
      }
      case 'json':
        return JSON.parse(raw.toString('utf8')) as unknown[];
      case 'bytes':
        return raw;
    }
  }
}

/** Names of the columns `pick` gives, in the order first seen. */
function columnNames(entries: readonly LogEntry[], pick: (e: LogEntry) => Columns | undefined): string[] {
  const names = new Set<string>();
  for (const e of entries) {
    const columns = pick(e);
    if (columns !== undefined) for (const name of Object.keys(columns)) names.add(name);
  }
  return [...names];
}

/** One column's values across every row of every entry (null where an entry lacks it). */
function flatten(entries: readonly LogEntry[], pick: (e: LogEntry) => Columns | undefined, name: string): unknown[] {
  const out: unknown[] = [];
  for (const e of entries) {
    const values = pick(e)?.[name];
    for (let i = 0; i < e.rows; i++) out.push(values?.[i] ?? null);
  }
  return out;
}

/** The smallest encoding that gives back exactly these values. */
function encodeValues(values: readonly unknown[]): { encoding: ColumnInfo['encoding']; raw: Buffer; dictionary?: readonly string[] } {
  if (values.every((v) => typeof v === 'number')) {
    const numbers = values as readonly number[];
    if (numbers.every((v) => Object.is(Math.fround(v), v) || Number.isNaN(v))) return { encoding: 'f32', raw: Buffer.from(Float32Array.from(numbers).buffer) };
    return { encoding: 'f64', raw: Buffer.from(Float64Array.from(numbers).buffer) };
  }
  const texts = values.map((v) => toJson(v));
  const dictionary = new Map<string, number>();
  const indexes = new ByteWriter();
  for (const text of texts) {
    let index = dictionary.get(text);
    if (index === undefined) {
      if (dictionary.size >= MAX_DICTIONARY) return { encoding: 'json', raw: Buffer.from(`[${texts.join(',')}]`) };
      dictionary.set(text, (index = dictionary.size));
    }
    indexes.varint(index);
  }
  return { encoding: 'dict', raw: indexes.done(), dictionary: [...dictionary.keys()] };
}

/** A growable byte buffer with varint writes. */
class ByteWriter {
  #buffer = Buffer.alloc(1024);
  #length = 0;

  #room(n: number): void {
    if (this.#length + n <= this.#buffer.length) return;
    const next = Buffer.alloc(Math.max(this.#buffer.length * 2, this.#length + n));
    this.#buffer.copy(next, 0, 0, this.#length);
    this.#buffer = next;
  }

  /** A non-negative integer below 2^53, 7 bits a byte. */
  varint(value: number): void {
    this.#room(8);
    let v = value;
    while (v >= 0x80) {
      this.#buffer[this.#length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.#buffer[this.#length++] = v;
  }

  /** Any integer of magnitude below 2^52: small magnitudes of either sign take few bytes. */
  zigzag(value: number): void {
    this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  bytes(data: Buffer): void {
    this.#room(data.length);
    data.copy(this.#buffer, this.#length);
    this.#length += data.length;
  }

  done(): Buffer {
    return this.#buffer.subarray(0, this.#length);
  }
}

function readVarints(raw: Buffer, zigzag: boolean): number[] {
  const out: number[] = [];
  let value = 0;
  let scale = 1;
  for (const byte of raw) {
    value += (byte & 0x7f) * scale;
    if (byte & 0x80) {
      scale *= 0x80;
      continue;
    }
    out.push(zigzag ? (value % 2 === 0 ? value / 2 : -(value + 1) / 2) : value);
    value = 0;
    scale = 1;
  }
  return out;
}
