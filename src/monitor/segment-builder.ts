/**
 * Builds a log segment (segment-format.ts) as requests come: each entry's id, time, version and
 * values go straight into the segment's columns (byte buffers, typed arrays, dictionaries), so
 * nothing of a request is kept as objects until the segment is sealed. Holding every request's
 * arrays for a segment's life made them outlive the young generation, and the old generation's
 * collections cost the server CPU under load; sealing is then only compression, off the event loop.
 */
import { constants } from 'node:zlib';
import { type Columns, type RowColumns } from './prediction-event.js';
import { ByteWriter, type ColumnEncoding, type ColumnInfo, compress, FORMAT, MAGIC, MAX_DICTIONARY, QUALITY, readUuidV7Rest, REST_BYTES, type SegmentHeader, uuidV7Time } from './segment-format.js';
import { IdIndex, type RequestKey } from './segment-id-index.js';
import { toJson } from './to-json.js';

/** Entries (and values of a column) a segment makes room for at first. */
const INITIAL_ENTRIES = 16;
/** Bytes each of a segment's byte columns starts with. */
const INITIAL_BYTES = 64;

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
  /**
   * A large request's outputs (and features, for payload segments) read a slice at a time, in
   * place of `outputs` and `features`: SegmentLog adds them over several turns of the event loop.
   */
  readonly rowColumns?: RowColumns | undefined;
}

/** A logged request read back: its id (UUIDv7s in lower case), version, arrival, rows and columns. */
export interface LoggedEntry {
  readonly requestId: string;
  readonly version: string;
  /** When it came, epoch ms. */
  readonly at: number;
  readonly rows: number;
  readonly outputs: Columns;
  readonly features?: Columns | undefined;
}

/** An encoded column block before compression. */
interface Block {
  readonly name: string;
  readonly encoding: ColumnEncoding;
  readonly raw: Buffer;
  readonly dictionary?: readonly string[];
}

/** The segment of entries being logged: add them in the order they came, then encode. */
export class SegmentBuilder {
  // Every buffer starts small and doubles: a server of many models holds an open segment per model
  // with recent traffic, most of them a few entries long.
  readonly #idMs = new ByteWriter(INITIAL_BYTES);
  readonly #idRest = new ByteWriter(INITIAL_BYTES);
  /** Ids that are not UUIDv7, null for those that are; undefined while every id is one. */
  #idText: (string | null)[] | undefined;
  readonly #at = new ByteWriter(INITIAL_BYTES);
  readonly #versionIndex = new ByteWriter(INITIAL_BYTES);
  readonly #rowCounts = new ByteWriter(INITIAL_BYTES);
  readonly #versions = new Map<string, number>();
  readonly #versionList: string[] = [];
  readonly #index = new IdIndex(INITIAL_ENTRIES);
  readonly #rest = new Uint8Array(REST_BYTES);
  /** Per entry: arrival (ms), version index, rows, first row; for reading pending entries back. */
  #arrivals = new Float64Array(INITIAL_ENTRIES);
  #versionOf = new Int32Array(INITIAL_ENTRIES);
  #rowsOf = new Int32Array(INITIAL_ENTRIES);
  #startOf = new Float64Array(INITIAL_ENTRIES);
  readonly #out = new Map<string, ColumnBuilder>();
  readonly #in = new Map<string, ColumnBuilder>();
  #lastAt = 0;
  #entries = 0;
  #rows = 0;
  /** The entry begun and not ended. */
  #current: { readonly requestId: string; readonly ms: number | undefined; readonly rows: number } | undefined;

  /** Entries added. */
  get entries(): number {
    return this.#entries;
  }

  /** Takes an entry (its columns are read now and not kept); `ms` is uuidV7Time of its id, when the caller has it. */
  add(entry: LogEntry, ms = uuidV7Time(entry.requestId)): void {
    this.begin(entry, ms);
    this.addRows(entry, 0, entry.rows);
    this.end();
  }

  /**
   * Starts an entry whose rows come in slices ({@link addRows}, then {@link end}); the segment is
   * the same as with {@link add}. Until `end` the entry is not counted or found, and nothing else
   * may be added.
   */
  begin(entry: LogEntry, ms = uuidV7Time(entry.requestId)): void {
    if (this.#current !== undefined) throw new Error('a log segment entry is still being added');
    const position = this.#entries;
    if (position === this.#arrivals.length) this.#grow();
    const arrival = Math.trunc(entry.at);
    if (ms === undefined) {
      this.#idText ??= new Array<string | null>(position).fill(null);
      this.#idText.push(entry.requestId);
      this.#idMs.zigzag(0);
    } else {
      this.#idText?.push(null);
      this.#idMs.zigzag(ms - arrival);
      readUuidV7Rest(entry.requestId, this.#rest);
      this.#idRest.bytes(this.#rest);
    }
    this.#at.zigzag(arrival - this.#lastAt);
    this.#lastAt = arrival;
    let version = this.#versions.get(entry.version);
    if (version === undefined) {
      this.#versions.set(entry.version, (version = this.#versions.size));
      this.#versionList.push(entry.version);
    }
    this.#versionIndex.varint(version);
    this.#rowCounts.varint(entry.rows);
    this.#arrivals[position] = arrival;
    this.#versionOf[position] = version;
    this.#rowsOf[position] = entry.rows;
    this.#startOf[position] = this.#rows;
    this.#current = { requestId: entry.requestId, ms, rows: entry.rows };
  }

  /** Adds the rows [from, from + rows) of the entry begun, whose values `columns` hold from their index 0. */
  addRows(columns: { readonly outputs?: Columns | undefined; readonly features?: Columns | undefined }, from: number, rows: number): void {
    addColumns(this.#out, columns.outputs, rows, this.#rows + from);
    addColumns(this.#in, columns.features, rows, this.#rows + from);
  }

  /** Ends the entry begun: it is counted and can be found. */
  end(): void {
    const current = this.#current;
    if (current === undefined) throw new Error('no log segment entry is being added');
    this.#current = undefined;
    if (current.ms === undefined) this.#index.addText(this.#entries, current.requestId);
    else {
      readUuidV7Rest(current.requestId, this.#rest);
      this.#index.addTime(this.#entries, current.ms, this.#rest);
    }
    this.#rows += current.rows;
    this.#entries += 1;
  }

  /** The position of the (last) entry with this id, or undefined. */
  find(key: RequestKey): number | undefined {
    return this.#index.find(key);
  }

  /** The entry at `position` (found by `requestId`) as a reader of the encoded segment would give it back. */
  entryAt(position: number, requestId: string, features: boolean): LoggedEntry {
    const start = this.#startOf[position]!;
    const rows = this.#rowsOf[position]!;
    return {
      requestId,
      version: this.#versionList[this.#versionOf[position]!]!,
      at: this.#arrivals[position]!,
      rows,
      outputs: columnsAt(this.#out, start, rows),
      ...(features ? { features: columnsAt(this.#in, start, rows) } : {}),
    };
  }

  /** The segment file of the entries added: columns encoded here, compressed on the thread pool. */
  async encode(): Promise<Buffer> {
    const blocks: Block[] = [
      { name: 'id.ms', encoding: 'zigzag', raw: this.#idMs.done() },
      { name: 'id.rest', encoding: 'bytes', raw: this.#idRest.done() },
    ];
    if (this.#idText !== undefined) blocks.push({ name: 'id.text', encoding: 'json', raw: Buffer.from(toJson(this.#idText)) });
    blocks.push({ name: 'at', encoding: 'zigzag', raw: this.#at.done() });
    blocks.push({ name: 'version', encoding: 'varint', raw: this.#versionIndex.done() });
    blocks.push({ name: 'rows', encoding: 'varint', raw: this.#rowCounts.done() });
    for (const [prefix, columns] of [
      ['out.', this.#out],
      ['in.', this.#in],
    ] as const) {
      for (const [name, column] of columns) {
        column.fill(this.#rows);
        blocks.push({ name: prefix + name, ...column.encode() });
      }
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
    const header: SegmentHeader = { format: FORMAT, entries: this.#entries, rows: this.#rows, versions: this.#versionList, columns };
    const headerText = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(headerText.length);
    return Buffer.concat([MAGIC, length, headerText, ...compressed]);
  }

  #grow(): void {
    const size = this.#arrivals.length * 2;
    this.#arrivals = grown(this.#arrivals, new Float64Array(size));
    this.#versionOf = grown(this.#versionOf, new Int32Array(size));
    this.#rowsOf = grown(this.#rowsOf, new Int32Array(size));
    this.#startOf = grown(this.#startOf, new Float64Array(size));
  }
}

/** Encodes entries (in the order they came) as one segment file. */
export function encodeSegment(entries: readonly LogEntry[]): Promise<Buffer> {
  const builder = new SegmentBuilder();
  for (const entry of entries) builder.add(entry);
  return builder.encode();
}

function grown<T extends Float64Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** Adds an entry's columns; a column first seen now holds nulls for the rows before. */
function addColumns(builders: Map<string, ColumnBuilder>, columns: Columns | undefined, rows: number, rowsBefore: number): void {
  if (columns === undefined) return;
  for (const name of Object.keys(columns)) {
    let column = builders.get(name);
    if (column === undefined) builders.set(name, (column = new ColumnBuilder()));
    column.fill(rowsBefore);
    const values = columns[name]!;
    for (let i = 0; i < rows; i++) column.push(values[i] ?? null);
  }
}

/** The columns of the rows [start, start + rows), leaving out those that are null throughout (the request had no such column). */
function columnsAt(builders: ReadonlyMap<string, ColumnBuilder>, start: number, rows: number): Columns {
  const columns: Record<string, unknown[]> = {};
  for (const [name, column] of builders) {
    const slice: unknown[] = [];
    for (let i = 0; i < rows; i++) slice.push(column.valueAt(start + i));
    if (slice.some((v) => v !== null)) columns[name] = slice;
  }
  return columns;
}

/** Numbers per block of a column: a large column grows by blocks, never by copying all it holds. */
const NUMBER_BLOCK = 65_536;

/**
 * One column's values as they come: numbers in a float64 array (and whether all are float32),
 * until a value is not a number; then a dictionary of JSON texts, until it has MAX_DICTIONARY
 * texts; then JSON text. The encoding is the one the whole column would have been given at once.
 */
class ColumnBuilder {
  #mode: 'numbers' | 'dict' | 'json' = 'numbers';
  #count = 0;
  /** Numbers in full blocks of NUMBER_BLOCK, then the block being filled (which grows up to NUMBER_BLOCK). */
  readonly #blocks: Float64Array[] = [];
  #numbers = new Float64Array(INITIAL_ENTRIES);
  #float32 = true;
  #indexes = new Int32Array(0);
  readonly #texts: string[] = [];
  /** Made when the column turns to a dictionary. */
  #byString: Map<string, number> | undefined;
  #byText: Map<string, number> | undefined;
  #json: ByteWriter | undefined;
  #offsets = new Float64Array(0);

  /** Pads with nulls up to `count` values. */
  fill(count: number): void {
    while (this.#count < count) this.push(null);
  }

  push(value: unknown): void {
    if (this.#mode === 'numbers') {
      if (typeof value === 'number') {
        let at = this.#count - this.#blocks.length * NUMBER_BLOCK;
        if (at === this.#numbers.length) {
          if (at < NUMBER_BLOCK) this.#numbers = grown(this.#numbers, new Float64Array(at * 2));
          else {
            this.#blocks.push(this.#numbers);
            this.#numbers = new Float64Array(NUMBER_BLOCK);
            at = 0;
          }
        }
        this.#numbers[at] = value;
        this.#count += 1;
        if (this.#float32 && !Object.is(Math.fround(value), value) && !Number.isNaN(value)) this.#float32 = false;
        return;
      }
      this.#toDictionary();
    }
    this.#pushText(value);
  }

  /** The value at `i`, as a reader of the encoded column gives it back. */
  valueAt(i: number): unknown {
    if (i >= this.#count) return null;
    switch (this.#mode) {
      case 'numbers':
        return i < this.#blocks.length * NUMBER_BLOCK ? this.#blocks[Math.floor(i / NUMBER_BLOCK)]![i % NUMBER_BLOCK]! : this.#numbers[i - this.#blocks.length * NUMBER_BLOCK]!;
      case 'dict':
        return JSON.parse(this.#texts[this.#indexes[i]!]!) as unknown;
      case 'json': {
        const text = this.#json!.done().toString('utf8', this.#offsets[i]!, i + 1 < this.#count ? this.#offsets[i + 1]! - 1 : this.#json!.length);
        return JSON.parse(text) as unknown;
      }
    }
  }

  encode(): { encoding: ColumnEncoding; raw: Buffer; dictionary?: readonly string[] } {
    switch (this.#mode) {
      case 'numbers': {
        const numbers = this.#float32 ? new Float32Array(this.#count) : new Float64Array(this.#count);
        this.#blocks.forEach((block, b) => numbers.set(block, b * NUMBER_BLOCK));
        numbers.set(this.#numbers.subarray(0, this.#count - this.#blocks.length * NUMBER_BLOCK), this.#blocks.length * NUMBER_BLOCK);
        return { encoding: this.#float32 ? 'f32' : 'f64', raw: Buffer.from(numbers.buffer) };
      }
      case 'dict': {
        const indexes = new ByteWriter(this.#count + 16);
        for (let i = 0; i < this.#count; i++) indexes.varint(this.#indexes[i]!);
        return { encoding: 'dict', raw: indexes.done(), dictionary: [...this.#texts] };
      }
      case 'json':
        return { encoding: 'json', raw: Buffer.concat([Buffer.from('['), this.#json!.done(), Buffer.from(']')]) };
    }
  }

  /** The dictionary index of `value`, adding it; undefined when the dictionary is full. */
  #dictionaryIndex(value: unknown): number | undefined {
    // Strings are looked up as they are (no JSON text made per value); their texts never equal another value's.
    if (typeof value === 'string') {
      this.#byString ??= new Map();
      const known = this.#byString.get(value);
      if (known !== undefined) return known;
      if (this.#texts.length >= MAX_DICTIONARY) return undefined;
      const index = this.#texts.length;
      this.#texts.push(toJson(value));
      this.#byString.set(value, index);
      return index;
    }
    const text = toJson(value);
    this.#byText ??= new Map();
    const known = this.#byText.get(text);
    if (known !== undefined) return known;
    if (this.#texts.length >= MAX_DICTIONARY) return undefined;
    const index = this.#texts.length;
    this.#texts.push(text);
    this.#byText.set(text, index);
    return index;
  }

  #toDictionary(): void {
    const blocks = [...this.#blocks, this.#numbers.subarray(0, this.#count - this.#blocks.length * NUMBER_BLOCK)];
    this.#mode = 'dict';
    this.#count = 0;
    this.#blocks.length = 0;
    this.#numbers = new Float64Array(0);
    for (const block of blocks) for (const value of block) this.#pushText(value);
  }

  /** Pushes a value in dictionary mode, turning the column to JSON once the dictionary is full. */
  #pushText(value: unknown): void {
    if (this.#mode === 'dict') {
      const index = this.#dictionaryIndex(value);
      if (index !== undefined) {
        if (this.#count === this.#indexes.length) this.#indexes = grown(this.#indexes, new Int32Array(Math.max(64, this.#count * 2)));
        this.#indexes[this.#count++] = index;
        return;
      }
      this.#toJson();
    }
    this.#pushJson(toJson(value));
  }

  #toJson(): void {
    const count = this.#count;
    this.#mode = 'json';
    this.#count = 0;
    this.#json = new ByteWriter();
    this.#byString = undefined;
    this.#byText = undefined;
    for (let i = 0; i < count; i++) this.#pushJson(this.#texts[this.#indexes[i]!]!);
    this.#indexes = new Int32Array(0);
  }

  #pushJson(text: string): void {
    if (this.#count === this.#offsets.length) this.#offsets = grown(this.#offsets, new Float64Array(Math.max(64, this.#count * 2)));
    if (this.#count > 0) this.#json!.text(',');
    this.#offsets[this.#count++] = this.#json!.length;
    this.#json!.text(text);
  }
}
