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
 * SegmentBuilder (segment-builder.ts) writes this format, SegmentReader (log-segment-codec.ts) reads it.
 */
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress } from 'node:zlib';

/** Brotli on libuv's thread pool: a segment's columns are compressed and decompressed off the event loop. */
export const compress = promisify(brotliCompress);
export const decompress = promisify(brotliDecompress);

export const MAGIC = Buffer.from('BERTHSEG');
/** The header's `format`; readers refuse formats they do not know. */
export const FORMAT = 1;
/** Most distinct values a column keeps as a dictionary; past it the column is JSON. */
export const MAX_DICTIONARY = 4096;
/** Brotli's quality: 5 compresses these columns nearly as well as 11 at a small part of its CPU time. */
export const QUALITY = 5;
/** Bytes of a UUIDv7 after its 48-bit time. */
export const REST_BYTES = 10;

/** How a column block is encoded. */
export type ColumnEncoding = 'varint' | 'zigzag' | 'bytes' | 'f32' | 'f64' | 'dict' | 'json';

/** A column block's place in the file. */
export interface ColumnInfo {
  readonly name: string;
  readonly encoding: ColumnEncoding;
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

/** The 10 bytes of a UUIDv7 after its time (`id` must be one). */
export function uuidV7Rest(id: string): Buffer {
  const rest = Buffer.alloc(REST_BYTES);
  readUuidV7Rest(id, rest);
  return rest;
}

/** Hex digit positions of a UUIDv7's 10 bytes after its time, two per byte. */
const REST_DIGITS = [14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/** Writes the 10 bytes of a UUIDv7 after its time into `into` (`id` must be one); makes no objects, as the log does this per request. */
export function readUuidV7Rest(id: string, into: Uint8Array): void {
  for (let i = 0; i < REST_BYTES; i++) {
    const at = REST_DIGITS[i]!;
    into[i] = (hexValue(id.charCodeAt(at)) << 4) | hexValue(id.charCodeAt(at + 1));
  }
}

function hexValue(code: number): number {
  // '0'–'9', then 'A'–'F' and 'a'–'f' (the id is already checked to be hex).
  return code <= 57 ? code - 48 : (code | 32) - 87;
}

/** A growable byte buffer with varint writes. */
export class ByteWriter {
  #buffer: Buffer;
  #length = 0;

  constructor(capacity = 1024) {
    this.#buffer = Buffer.alloc(capacity);
  }

  get length(): number {
    return this.#length;
  }

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

  bytes(data: Uint8Array, start = 0, end = data.length): void {
    this.#room(end - start);
    this.#buffer.set(data.subarray(start, end), this.#length);
    this.#length += end - start;
  }

  /** UTF-8 of `text`. */
  text(text: string): void {
    this.#room(Buffer.byteLength(text));
    this.#length += this.#buffer.write(text, this.#length);
  }

  /** The bytes written so far (a view, valid until the next write). */
  done(): Buffer {
    return this.#buffer.subarray(0, this.#length);
  }
}

/** At most `count` varints of `raw` (zigzag-decoded with `zigzag`), as float64s (integers up to 2^53 are exact). */
export function readVarints(raw: Uint8Array, zigzag: boolean, count: number): Float64Array {
  const out = new Float64Array(count);
  let n = 0;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < raw.length && n < count; i++) {
    const byte = raw[i]!;
    if (scale === 1 && byte < 0x80) {
      out[n++] = zigzag ? (byte & 1 ? -(byte + 1) / 2 : byte / 2) : byte;
      continue;
    }
    value += (byte & 0x7f) * scale;
    if (byte & 0x80) {
      scale *= 0x80;
      continue;
    }
    out[n++] = zigzag ? (value % 2 === 0 ? value / 2 : -(value + 1) / 2) : value;
    value = 0;
    scale = 1;
  }
  return n === count ? out : out.subarray(0, n);
}
