/**
 * Tensors and the conversions every transport shares: element counts, JSON values to typed data
 * (with per-element checks) and typed data back to JSON text.
 */
import { Float16Array } from '@petamoriken/float16';
import { type Datatype, type TensorData, datatypeInfo } from './datatypes.js';
import { Errors } from './errors.js';

/** A named tensor held in memory. */
export interface Tensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

/** Deepest nesting accepted for JSON tensor data; deeper arrays are refused, not recursed into. */
const MAX_JSON_DEPTH = 64;

/**
 * Largest dimension a request may name. ONNX dimensions are 64-bit, but no real tensor has a side
 * this long, and onnxruntime fails on shapes whose strides overflow even when they hold nothing.
 */
export const MAX_DIMENSION = 2 ** 31 - 1;

/**
 * Number of elements a shape holds, or throws a catalogue error naming the input when a dimension
 * is not an integer from 0 to MAX_DIMENSION, or when the dimensions other than 0 multiply past
 * 2^53. Huge products are returned as they are: callers compare them with the data actually sent
 * before allocating anything.
 */
export function elementCount(shape: readonly unknown[], input: string): number {
  let count = 1;
  let span = 1;
  for (const dim of shape) {
    if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 0 || dim > MAX_DIMENSION) {
      throw Errors.REQUEST_INVALID.create(`input '${input}' has shape ${jsonForMessage(shape)}; every dimension must be an integer from 0 to ${MAX_DIMENSION}`);
    }
    count *= dim;
    span *= Math.max(dim, 1);
  }
  if (span > Number.MAX_SAFE_INTEGER) throw Errors.REQUEST_INVALID.create(`input '${input}' has shape ${jsonForMessage(shape)}, whose dimensions multiply past 2^53`);
  return count;
}

/**
 * JSON of a value from a request for an error message: bigints (integers beyond 2^53 in the body)
 * are written as their digits, which JSON.stringify refuses to do, and long texts are cut.
 */
export function jsonForMessage(value: unknown, maxLength = 200): string {
  // Bigints go through a marked string, then lose the quotes and the mark: digits as sent.
  const marked = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `\u0000${v}` : v)) ?? String(value);
  const text = marked.replace(/"\\u0000(-?\d+)"/g, '$1');
  return text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
}

/** Bytes of tensor data in `tensors` (string elements count their UTF-8 length). */
export function tensorsByteLength(tensors: readonly Tensor[]): number {
  let bytes = 0;
  for (const tensor of tensors) {
    const data = tensor.data;
    if (Array.isArray(data)) for (const text of data) bytes += Buffer.byteLength(text);
    else bytes += (data as ArrayBufferView).byteLength;
  }
  return bytes;
}

/** Formats a shape as `[2,3]` for messages. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Flattens nested JSON arrays row-major, stopping as soon as more than `expected` values are seen,
 * so a request can never make us walk or allocate more than its shape promises.
 */
function flattenJson(data: unknown, expected: number, input: string, shape: readonly number[]): unknown[] {
  if (!Array.isArray(data)) {
    throw Errors.REQUEST_INVALID.create(`input '${input}' must have 'data' as an array`);
  }
  // Fast path: already flat.
  if (data.length === expected && (expected === 0 || !Array.isArray(data[0]))) {
    let flat = true;
    for (let i = 0; i < data.length; i++) {
      if (Array.isArray(data[i])) {
        flat = false;
        break;
      }
    }
    if (flat) return data;
  }
  const out: unknown[] = [];
  const stack: { array: unknown[]; index: number }[] = [{ array: data, index: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.index >= top.array.length) {
      stack.pop();
      continue;
    }
    const value = top.array[top.index++];
    if (Array.isArray(value)) {
      if (stack.length >= MAX_JSON_DEPTH) {
        throw Errors.REQUEST_INVALID.create(`input '${input}' has data nested deeper than ${MAX_JSON_DEPTH} levels`);
      }
      stack.push({ array: value, index: 0 });
      continue;
    }
    if (out.length === expected) {
      throw tooMany(input, shape, expected);
    }
    out.push(value);
  }
  if (out.length !== expected) {
    throw Errors.INPUT_DATA_LENGTH.create(input, formatShape(shape), plural(expected, 'element'), plural(out.length, 'element'));
  }
  return out;
}

function tooMany(input: string, shape: readonly number[], expected: number): Error {
  return Errors.INPUT_DATA_LENGTH.create(input, formatShape(shape), plural(expected, 'element'), 'more');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

const NON_FINITE: Readonly<Record<string, number>> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

function toFloat(value: unknown, input: string, index: number, datatype: Datatype): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && Object.hasOwn(NON_FINITE, value)) return NON_FINITE[value]!;
  throw Errors.INPUT_VALUE.create(input, index, `${describe(value)} is not a ${datatype} number`);
}

function toBigInt(value: unknown, input: string, index: number, datatype: Datatype, min: bigint, max: bigint): bigint {
  let result: bigint;
  if (typeof value === 'bigint') result = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) result = BigInt(value);
  else if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) result = BigInt(value);
  else throw Errors.INPUT_VALUE.create(input, index, `${describe(value)} is not a ${datatype} integer`);
  if (result < min || result > max) {
    throw Errors.INPUT_VALUE.create(input, index, `${result} is outside the ${datatype} range ${min}..${max}`);
  }
  return result;
}

/**
 * Converts JSON tensor data (nested or flat, row-major) to typed storage of `datatype`, checking
 * every value: a string in FP32 or 300 in UINT8 is a 400 naming the input and element.
 *
 * 64-bit integers arrive as JSON numbers (exact when the body was parsed losslessly, see
 * `parseJsonBody`), as bigint, or as decimal strings. Floats accept the strings "NaN", "Infinity"
 * and "-Infinity", which is also how they are written out.
 */
export function tensorDataFromJson(datatype: Datatype, data: unknown, shape: readonly number[], input: string): TensorData {
  const expected = elementCount(shape, input);
  const values = flattenJson(data, expected, input, shape);
  const info = datatypeInfo(datatype);
  const count = values.length;
  switch (info.kind) {
    case 'float': {
      const out = info.allocate(count) as Float32Array | Float64Array;
      for (let i = 0; i < count; i++) {
        const v = values[i];
        out[i] = typeof v === 'number' ? v : toFloat(v, input, i, datatype);
      }
      return out;
    }
    case 'half': {
      const floats = new Float16Array(count);
      for (let i = 0; i < count; i++) floats[i] = toFloat(values[i], input, i, datatype);
      return new Uint16Array(floats.buffer);
    }
    case 'int': {
      const out = info.allocate(count) as Exclude<TensorData, string[] | BigInt64Array | BigUint64Array>;
      const min = info.min as number;
      const max = info.max as number;
      for (let i = 0; i < count; i++) {
        let v = values[i];
        if (typeof v === 'bigint') v = Number(v);
        if (typeof v !== 'number' || !Number.isInteger(v)) {
          throw Errors.INPUT_VALUE.create(input, i, `${describe(v)} is not a ${datatype} integer`);
        }
        if (v < min || v > max) {
          throw Errors.INPUT_VALUE.create(input, i, `${v} is outside the ${datatype} range ${min}..${max}`);
        }
        out[i] = v;
      }
      return out;
    }
    case 'bigint': {
      const out = info.allocate(count) as BigInt64Array | BigUint64Array;
      const min = info.min as bigint;
      const max = info.max as bigint;
      for (let i = 0; i < count; i++) out[i] = toBigInt(values[i], input, i, datatype, min, max);
      return out;
    }
    case 'bool': {
      const out = new Uint8Array(count);
      for (let i = 0; i < count; i++) {
        const v = values[i];
        if (typeof v !== 'boolean') throw Errors.INPUT_VALUE.create(input, i, `${describe(v)} is not a BOOL (true or false)`);
        out[i] = v ? 1 : 0;
      }
      return out;
    }
    case 'bytes': {
      const out = new Array<string>(count);
      for (let i = 0; i < count; i++) {
        const v = values[i];
        if (typeof v !== 'string') throw Errors.INPUT_VALUE.create(input, i, `${describe(v)} is not a BYTES string`);
        out[i] = v;
      }
      return out;
    }
  }
}

/**
 * A float as the JSON answers write it: itself when finite, else the string "NaN", "Infinity" or
 * "-Infinity" (JSON has no such numbers; JSON.stringify would write null). The one rule for every
 * JSON output Berth writes of a float value (answers, payload export, CloudEvents sink).
 */
export function jsonFloat(v: number): number | string {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

function floatText(v: number): string {
  return Number.isFinite(v) ? String(v) : `"${jsonFloat(v)}"`;
}

/**
 * Writes tensor data as the text of a flat JSON array. Hand-written because JSON.stringify cannot
 * write bigint (64-bit integers must keep every digit) nor non-finite floats.
 */
export function tensorDataToJsonText(datatype: Datatype, data: TensorData): string {
  const kind = datatypeInfo(datatype).kind;
  const n = data.length;
  if (n === 0) return '[]';
  const parts = new Array<string>(n);
  switch (kind) {
    case 'float':
      for (let i = 0; i < n; i++) parts[i] = floatText((data as Float32Array)[i]!);
      break;
    case 'half': {
      const u16 = data as Uint16Array;
      const floats = new Float16Array(u16.buffer, u16.byteOffset, u16.length);
      for (let i = 0; i < n; i++) parts[i] = floatText(floats[i]!);
      break;
    }
    case 'int':
    case 'bigint':
      for (let i = 0; i < n; i++) parts[i] = String((data as Int32Array)[i]);
      break;
    case 'bool':
      for (let i = 0; i < n; i++) parts[i] = (data as Uint8Array)[i] ? 'true' : 'false';
      break;
    case 'bytes':
      for (let i = 0; i < n; i++) parts[i] = JSON.stringify((data as string[])[i]);
      break;
  }
  return `[${parts.join(',')}]`;
}

/** Converts tensor data to plain JSON-ready values (bigint kept as bigint, FP16 as numbers). */
export function tensorDataToValues(datatype: Datatype, data: TensorData): (number | bigint | boolean | string)[] {
  const kind = datatypeInfo(datatype).kind;
  if (kind === 'half') {
    const u16 = data as Uint16Array;
    return Array.from(new Float16Array(u16.buffer, u16.byteOffset, u16.length));
  }
  if (kind === 'bool') return Array.from(data as Uint8Array, (v) => v !== 0);
  return Array.from(data as ArrayLike<number | bigint | string>);
}
