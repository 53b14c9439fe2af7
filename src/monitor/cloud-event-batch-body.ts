/**
 * The body of one CloudEvents batch POST (cloud-event-sink.ts), made a slice at a time: the same
 * bytes as `JSON.stringify(batch)`, but printed about BODY_VALUES_PER_TURN values per turn of the
 * event loop, so an event of a large request (tens of MB of rows as JSON) never holds the loop for
 * the whole of its printing. The sink sends a body of BODY_STREAM_BYTES or more as it is made (a
 * chunked request body), a smaller one whole.
 *
 * How it stays identical to JSON.stringify: it walks objects and arrays as JSON.stringify does
 * (`toJSON` called with the member's key, wrapper objects unwrapped, members whose value is
 * undefined, a function or a symbol left out of objects and written `null` in arrays, keys in
 * Object.keys order), and hands every run of up to BODY_SLICE_VALUES primitive array elements,
 * and every primitive, to JSON.stringify itself; only the brackets, commas and keys around them are
 * its own.
 *
 * @example
 *   for await (const chunk of cloudEventBatchBody(batch)) request.write(chunk);
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

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
 * values. Their concatenation equals `JSON.stringify(batch)`; throws where it would (a bigint).
 */
export async function* cloudEventBatchBody(batch: unknown, valuesPerTurn = BODY_VALUES_PER_TURN): AsyncGenerator<Buffer, void, undefined> {
  const counter = { values: 0 };
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

/** The JSON text of a resolved, written value, in pieces; counts the values printed. */
function* pieces(value: unknown, counter: { values: number }): Generator<string, void, undefined> {
  if (primitive(value)) {
    counter.values += 1;
    yield JSON.stringify(value);
    return;
  }
  if (Array.isArray(value)) {
    yield '[';
    const length = value.length;
    let i = 0;
    while (i < length) {
      const comma = i > 0 ? ',' : '';
      if (primitive(value[i])) {
        // A run of primitives, printed by JSON.stringify (holes and undefined as null, as in the whole).
        let end = i + 1;
        while (end < length && end - i < BODY_SLICE_VALUES && primitive(value[end])) end += 1;
        counter.values += end - i;
        yield comma + JSON.stringify(value.slice(i, end)).slice(1, -1);
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
      yield name + JSON.stringify(member);
    } else {
      yield name;
      yield* pieces(member, counter);
    }
  }
  yield '}';
}
