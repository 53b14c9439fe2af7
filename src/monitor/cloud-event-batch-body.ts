/**
 * The body of one CloudEvents batch POST (cloud-event-sink.ts), made a slice at a time: the same
 * bytes as `JSON.stringify(batch)`, but printed about BODY_VALUES_PER_TURN values per turn of the
 * event loop, so an event of a large request (tens of MB of rows as JSON) never holds the loop for
 * the whole of its printing. The sink sends a body of BODY_STREAM_BYTES or more as it is made (a
 * chunked request body), a smaller one whole; both are printed here, so they are the same bytes.
 *
 * One difference from JSON.stringify, which throws on a bigint: a bigint (an INT64 or UINT64
 * value of a tensor, e.g. the int64 `label` of a scikit-learn classifier converted by skl2onnx) is
 * written as a JSON number with every digit, as the OIP and V1 JSON answers write 64-bit integers
 * (tensorDataToJsonText): `5n` as `5`, `9007199254740993n` as `9007199254740993`, exact in the
 * text even where a reader that parses numbers as doubles rounds it. And a non-finite float, which
 * JSON.stringify writes as null, is written as the JSON answers write it (jsonFloat in
 * core/tensor.ts): NaN as `"NaN"`, Infinity as `"Infinity"`, -Infinity as `"-Infinity"`. Finite
 * numbers are JSON.stringify's bytes.
 *
 * How it stays identical to JSON.stringify: it walks objects and arrays as JSON.stringify does
 * (`toJSON` called with the member's key, wrapper objects unwrapped, members whose value is
 * undefined, a function or a symbol left out of objects and written `null` in arrays, keys in
 * Object.keys order), and hands every run of up to BODY_SLICE_VALUES primitive array elements,
 * and every primitive, to JSON.stringify itself (a run holding a bigint or a non-finite float one
 * element at a time); only the brackets, commas and keys around them are its own.
 *
 * Written here rather than taken from npm: the streaming stringifiers there walk every value on
 * its own (stream-json-stringify calls itself far slower than JSON.stringify), where an event is
 * mostly columns of hundreds of thousands of numbers that one JSON.stringify call per run prints
 * at native speed; and the sink needs bigints written as JSON numbers, which JSON.stringify refuses.
 *
 * @example
 *   for await (const chunk of cloudEventBatchBody(batch)) request.write(chunk);
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { jsonFloat } from '../core/tensor.js';

/** Values (array elements, object members) printed per turn of the event loop. */
export const BODY_VALUES_PER_TURN = 16_384;
/** Most array elements printed by one JSON.stringify call. */
export const BODY_SLICE_VALUES = 4096;
/** Characters of JSON gathered into each chunk the body yields. */
export const BODY_CHUNK_CHARS = 64 * 1024;
/** Bodies of this many bytes or more are sent as they are made (chunked); smaller ones whole. */
export const BODY_STREAM_BYTES = 1024 * 1024;

/**
 * The JSON text of `batch` (an array of CloudEvents, or any JSON.stringify-able value) as UTF-8
 * chunks of about BODY_CHUNK_CHARS, yielding to the event loop after every BODY_VALUES_PER_TURN
 * values. Their concatenation equals `JSON.stringify(batch)`, bigints written as JSON numbers
 * and non-finite floats as the strings "NaN", "Infinity" and "-Infinity" (see above); throws where JSON.stringify would otherwise (a cycle, a `toJSON` that throws).
 */
export async function* cloudEventBatchBody(batch: unknown, valuesPerTurn = BODY_VALUES_PER_TURN): AsyncGenerator<Buffer, void, undefined> {
  const counter: Walk = { values: 0, open: new Set() };
  let text = '';
  for (const piece of pieces(resolve('', batch), counter)) {
    text += piece;
    if (text.length >= BODY_CHUNK_CHARS) {
      yield Buffer.from(text);
      text = '';
    }
    if (counter.values >= valuesPerTurn) {
      counter.values = 0;
      await nextTurn();
    }
  }
  if (text.length > 0) yield Buffer.from(text);
}

/**
 * A batch's body ready to send: whole (`bytes`) when it came to less than BODY_STREAM_BYTES, else
 * `chunks` that give the whole body, the first ones already made, the rest as they are made.
 */
export type PreparedBody = { readonly bytes: Buffer } | { readonly chunks: AsyncIterable<Buffer> };

/** Makes `batch`'s body up to BODY_STREAM_BYTES (a slice per turn), then says how to send it. */
export async function prepareBody(batch: unknown, streamBytes = BODY_STREAM_BYTES): Promise<PreparedBody> {
  const body = cloudEventBatchBody(batch);
  const head: Buffer[] = [];
  let bytes = 0;
  while (bytes < streamBytes) {
    const next = await body.next();
    if (next.done === true) return { bytes: Buffer.concat(head, bytes) };
    head.push(next.value);
    bytes += next.value.length;
  }
  return {
    chunks: (async function* () {
      yield* head;
      yield* body;
    })(),
  };
}

/** A member's value as JSON.stringify serialises it: after `toJSON(key)`, wrapper objects unwrapped. */
function resolve(key: string, value: unknown): unknown {
  if ((typeof value === 'object' && value !== null) || typeof value === 'bigint') {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') value = (toJSON as (key: string) => unknown).call(value, key);
  }
  if (value instanceof Number || value instanceof String || value instanceof Boolean || value instanceof BigInt) value = value.valueOf();
  return value;
}

/** Whether JSON.stringify writes a value (false: left out of an object, `null` in an array). */
function written(value: unknown): boolean {
  return value !== undefined && typeof value !== 'function' && typeof value !== 'symbol';
}

/** Whether a value is printed by JSON.stringify as it is, with no members to walk. */
function primitive(value: unknown): boolean {
  return typeof value !== 'object' || value === null;
}

/** Whether JSON.stringify would not write a primitive as this text does: a bigint, NaN or ±Infinity. */
function special(value: unknown): boolean {
  return typeof value === 'bigint' || (typeof value === 'number' && !Number.isFinite(value));
}

/**
 * The JSON text of a primitive, as JSON.stringify writes it, but a bigint as a JSON number with
 * every digit and a non-finite float as the string jsonFloat gives ("NaN", "Infinity", "-Infinity").
 */
function primitiveText(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(typeof value === 'number' ? jsonFloat(value) : value);
}

/** The elements `from` to `end` of an array of primitives holding a bigint or a non-finite float, as the text between its brackets. */
function runText(values: readonly unknown[], from: number, end: number): string {
  const parts = new Array<string>(end - from);
  for (let k = from; k < end; k++) {
    // Holes, undefined, functions and symbols as null, as JSON.stringify writes them in an array.
    parts[k - from] = primitiveText(values[k]) ?? 'null';
  }
  return parts.join(',');
}

/** What a walk keeps: the values printed since the last turn, and the objects and arrays it is inside. */
interface Walk {
  values: number;
  readonly open: Set<object>;
}

/** The JSON text of a resolved, written value, in pieces; counts the values printed. */
function* pieces(value: unknown, counter: Walk): Generator<string, void, undefined> {
  if (primitive(value)) {
    counter.values += 1;
    yield primitiveText(value);
    return;
  }
  // JSON.stringify's own error for a cycle (walking on would only end when the stack runs out).
  if (counter.open.has(value as object)) throw new TypeError('Converting circular structure to JSON');
  counter.open.add(value as object);
  yield* members(value as object, counter);
  counter.open.delete(value as object);
}

/** The JSON text of an array or object, in pieces (see pieces). */
function* members(value: object, counter: Walk): Generator<string, void, undefined> {
  if (Array.isArray(value)) {
    yield '[';
    const length = value.length;
    let i = 0;
    while (i < length) {
      const comma = i > 0 ? ',' : '';
      if (primitive(value[i])) {
        // A run of primitives, printed by JSON.stringify (holes and undefined as null, as in the
        // whole), or one by one where it holds a bigint (an INT64 column), which JSON.stringify
        // refuses, or a non-finite float, which it would write as null.
        let odd = special(value[i]);
        let end = i + 1;
        while (end < length && end - i < BODY_SLICE_VALUES && primitive(value[end])) {
          if (!odd && special(value[end])) odd = true;
          end += 1;
        }
        counter.values += end - i;
        yield comma + (odd ? runText(value, i, end) : JSON.stringify(value.slice(i, end)).slice(1, -1));
        i = end;
        continue;
      }
      const element = resolve(String(i), value[i]);
      if (written(element)) {
        if (comma !== '') yield comma;
        yield* pieces(element, counter);
      } else {
        counter.values += 1;
        yield `${comma}null`;
      }
      i += 1;
    }
    yield ']';
    return;
  }
  yield '{';
  let first = true;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const member = resolve(key, record[key]);
    if (!written(member)) continue;
    const name = `${first ? '' : ','}${JSON.stringify(key)}:`;
    first = false;
    if (primitive(member)) {
      counter.values += 1;
      yield name + primitiveText(member);
    } else {
      yield name;
      yield* pieces(member, counter);
    }
  }
  yield '}';
}
