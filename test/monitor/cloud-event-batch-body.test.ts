/**
 * The CloudEvents sink's batch body made a slice per turn of the event loop: the same bytes as
 * JSON.stringify of the batch, for small and large events and for every kind of value
 * JSON.stringify treats specially (but bigints as JSON numbers and NaN, ±Infinity as the strings
 * the answers write); a large one is made over many turns, a small one sent whole.
 */
import { describe, expect, it } from 'vitest';
import { BODY_STREAM_BYTES, BODY_VALUES_PER_TURN, cloudEventBatchBody, prepareBody } from '../../src/monitor/cloud-event-batch-body.js';
import { EVENT_TYPE, type PayloadCloudEvent } from '../../src/monitor/index.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');

/** A payload event of `rows` rows with `width` FP32-like input and output columns, and a label. */
function event(i: number, rows: number, width = 4): PayloadCloudEvent {
  const column = (seed: number) => Array.from({ length: rows }, (_, r) => Math.fround(((r * 7919 + seed) % 10_007) / 7));
  const inputs: Record<string, unknown[]> = {};
  const outputs: Record<string, unknown[]> = {};
  for (let j = 0; j < width; j++) {
    inputs[`x[${j}]`] = column(j);
    outputs[`y[${j}]`] = column(j + 100);
  }
  outputs.label = Array.from({ length: rows }, (_, r) => (r % 3 === 0 ? 'yes' : r % 3 === 1 ? 'no' : null));
  return {
    specversion: '1.0',
    id: `r${i}`,
    source: 'berth/test',
    type: EVENT_TYPE,
    subject: 'loans',
    time: new Date(T0 + i).toISOString(),
    datacontenttype: 'application/json',
    data: { model: 'loans', version: '2', requestId: `r${i}`, rows, inputs, outputs },
  };
}

/**
 * JSON.stringify's text with NaN, Infinity and -Infinity as the strings the JSON answers write,
 * and bigints as JSON numbers with every digit.
 */
function stringifyFloats(value: unknown): string {
  const replacer = (_k: string, v: unknown) => {
    if (typeof v === 'bigint') return `@big:${v}`;
    if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    return v;
  };
  return JSON.stringify(value, replacer).replace(/"@big:(-?\d+)"/g, '$1');
}

/** The text of a body made by prepareBody, sent whole or streamed, and which. */
async function prepared(value: unknown): Promise<{ text: string; streamed: boolean }> {
  const body = await prepareBody(value);
  if ('bytes' in body) return { text: body.bytes.toString('utf8'), streamed: false };
  const chunks: Buffer[] = [];
  for await (const chunk of body.chunks) chunks.push(chunk);
  return { text: Buffer.concat(chunks).toString('utf8'), streamed: true };
}

/** The body's text, and how many turns of the event loop passed while it was made. */
async function made(value: unknown): Promise<{ text: string; turns: number; chunks: number }> {
  let turns = 0;
  let counting = true;
  const count = () => {
    if (!counting) return;
    turns += 1;
    setImmediate(count);
  };
  setImmediate(count);
  const chunks: Buffer[] = [];
  for await (const chunk of cloudEventBatchBody(value)) chunks.push(chunk);
  counting = false;
  return { text: Buffer.concat(chunks).toString('utf8'), turns, chunks: chunks.length };
}

describe('a CloudEvents batch body', () => {
  it('is JSON.stringify of a batch of small events, made at once', async () => {
    const batch = Array.from({ length: 100 }, (_, i) => event(i, 1 + (i % 3)));
    const body = await made(batch);
    expect(body.text).toBe(JSON.stringify(batch));
    expect(JSON.parse(body.text)).toEqual(batch);
    expect(body.turns).toBeLessThanOrEqual(1);
  });

  it('is JSON.stringify of a large event, made over many turns of the event loop', async () => {
    const rows = 200_000;
    const batch = [event(0, rows), event(1, 2)];
    const expected = JSON.stringify(batch);
    expect(expected.length).toBeGreaterThan(20_000_000);
    const body = await made(batch);
    expect(body.text.length).toBe(expected.length);
    expect(body.text === expected).toBe(true);
    // 9 columns of 200,000 rows, printed BODY_VALUES_PER_TURN values per turn.
    expect(body.turns).toBeGreaterThanOrEqual(Math.floor((rows * 9) / BODY_VALUES_PER_TURN) - 1);
    expect(body.chunks).toBeGreaterThan(100);
  });

  it('treats every value as JSON.stringify does, but non-finite floats', async () => {
    const sparse: unknown[] = [1, , 3]; // eslint-disable-line no-sparse-arrays
    const values = {
      numbers: [0, -0, 1.5, NaN, Infinity, -Infinity, Number.MAX_VALUE, 5e-324, Math.fround(0.1)],
      strings: ['', 'a"b\\c', 'line\nbreak', '\u0000\u001f', 'é ü 漢字 😀', '\ud800 lone', '</script>'],
      others: [true, false, null, undefined, () => 1, Symbol('s'), sparse, [], {}, [[1, [2, [3]]]]],
      left: undefined,
      fn: () => 1,
      symbol: Symbol('s'),
      date: new Date(T0),
      wrapped: [Object(1), Object('text'), Object(false)],
      custom: { toJSON: (key: string) => ({ key, nested: [1, undefined, { deep: true }] }) },
      gone: { toJSON: () => undefined },
      inArray: [{ toJSON: (key: string) => `at ${key}` }, { toJSON: () => undefined }, new Date(T0 + 1)],
      mixed: [1, 'two', { three: 3 }, [4], null, 5, 6],
      long: Array.from({ length: 10_000 }, (_, i) => (i % 5 === 0 ? { i } : i % 7 === 0 ? undefined : i / 3)),
      '': 'empty key',
      'key "quoted"\n': 1,
      '2': 'numeric key first',
    };
    const body = await made(values);
    expect(body.text).toBe(stringifyFloats(values));
    expect(body.text).toContain('"numbers":[0,0,1.5,"NaN","Infinity","-Infinity",1.7976931348623157e+308,5e-324,0.10000000149011612]');
    for (const top of [[], {}, 'text', 42, null, [undefined], new Date(T0)]) expect((await made(top)).text).toBe(JSON.stringify(top));
  });

  it('writes bigints (INT64, UINT64) as JSON numbers with every digit, small and streamed alike', async () => {
    // What an int64 classifier's label column and 64-bit ids look like in a log entry.
    const edges = [0n, 1n, -1n, 9007199254740991n, 9007199254740993n, -9223372036854775808n, 9223372036854775807n, 18446744073709551615n];
    const withBigints = (rows: number) => {
      const batch = [event(0, rows), event(1, 3)];
      for (const e of batch) {
        const n = e.data.rows;
        (e.data.outputs as Record<string, unknown[]>).label = Array.from({ length: n }, (_, r) => BigInt(r % 3));
        (e.data.inputs as Record<string, unknown[]>).id = Array.from({ length: n }, (_, r) => edges[r % edges.length]);
        // A bigint among other values, a member and a wrapped one, as JSON.stringify would see them.
        (e.data.outputs as Record<string, unknown[]>).mixed = Array.from({ length: n }, (_, r) => (r % 4 === 0 ? BigInt(r) * 10n ** 17n : r % 4 === 1 ? null : r % 4 === 2 ? 'x' : r / 8));
      }
      return { batch, extra: { one: 7n, wrapped: Object(9223372036854775807n), in: [{ big: -5n }] } };
    };
    // The same text with each bigint's digits where JSON.stringify would write a number.
    const expected = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `@big:${v}` : v)).replace(/"@big:(-?\d+)"/g, '$1');
    expect(() => JSON.stringify([1n])).toThrow(TypeError);

    const small = withBigints(5);
    const smallText = expected(small.batch);
    expect(smallText).toContain('"id":[0,1,-1,9007199254740991,9007199254740993]');
    expect(smallText).toContain('"label":[0,1,2,0,1]');
    expect((await made(small.batch)).text).toBe(smallText);
    expect((await made(small.extra)).text).toBe('{"one":7,"wrapped":9223372036854775807,"in":[{"big":-5}]}');
    const whole = await prepareBody(small.batch);
    expect('bytes' in whole && whole.bytes.toString('utf8')).toBe(smallText);
    // Safe integers read back as the numbers they are.
    expect((JSON.parse(smallText) as PayloadCloudEvent[])[0]!.data.outputs!.label).toEqual([0, 1, 2, 0, 1]);

    const large = withBigints(40_000);
    const largeText = expected(large.batch);
    expect(Buffer.byteLength(largeText)).toBeGreaterThan(BODY_STREAM_BYTES);
    const streamed = await prepareBody(large.batch);
    expect('chunks' in streamed).toBe(true);
    const chunks: Buffer[] = [];
    if ('chunks' in streamed) for await (const chunk of streamed.chunks) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString('utf8') === largeText).toBe(true);
    expect(largeText).toContain('"id":[0,1,-1,9007199254740991,9007199254740993,-9223372036854775808,9223372036854775807,18446744073709551615,0,');
  });

  it('writes NaN and ±Infinity as the answers do, "NaN", "Infinity", "-Infinity", small and streamed alike', async () => {
    // A float column of y = x / 0 (the answer's strings), and NaN as a member, a lone element and wrapped.
    const withNonFinite = (rows: number) => {
      const batch = [event(0, rows), event(1, 3)];
      for (const e of batch) {
        const n = e.data.rows;
        const outputs = e.data.outputs as Record<string, unknown[]>;
        outputs.ratio = Array.from({ length: n }, (_, r) => [Infinity, -Infinity, NaN, r / 3][r % 4]);
        outputs.mixed = Array.from({ length: n }, (_, r) => (r % 5 === 0 ? NaN : r % 5 === 1 ? null : r % 5 === 2 ? 'x' : r % 5 === 3 ? 7n : { v: -Infinity }));
      }
      return batch;
    };
    const extra = { score: NaN, top: Infinity, wrapped: Object(-Infinity), lone: [NaN], nested: { deep: [1, -Infinity] } };
    expect((await made(extra)).text).toBe('{"score":"NaN","top":"Infinity","wrapped":"-Infinity","lone":["NaN"],"nested":{"deep":[1,"-Infinity"]}}');
    expect((await made(NaN)).text).toBe('"NaN"');

    const small = withNonFinite(6);
    const smallBody = await prepared(small);
    expect(smallBody.streamed).toBe(false);
    expect(smallBody.text).toBe(stringifyFloats(small));
    expect(smallBody.text).toContain('"ratio":["Infinity","-Infinity","NaN",1,"Infinity","-Infinity"]');
    expect(smallBody.text).toContain('"mixed":["NaN",null,"x",7,{"v":"-Infinity"},"NaN"]');
    expect(smallBody.text).not.toContain('null,null');

    const large = withNonFinite(40_000);
    const largeExpected = stringifyFloats(large);
    expect(Buffer.byteLength(largeExpected)).toBeGreaterThan(BODY_STREAM_BYTES);
    const largeBody = await prepared(large);
    expect(largeBody.streamed).toBe(true);
    expect(largeBody.text === largeExpected).toBe(true);
    expect(largeBody.text).toContain('"ratio":["Infinity","-Infinity","NaN",1,"Infinity","-Infinity","NaN",');
  });

  it('writes finite numbers as JSON.stringify does, byte for byte', async () => {
    const numbers = Array.from({ length: 50_000 }, (_, i) => [0, -0, 1e21, 1e-7, -1.5e300, 5e-324, Number.MAX_SAFE_INTEGER, Math.fround(i / 7), i / 3, -i][i % 10]);
    const batch = [{ numbers, one: -0, big: 1e21, nested: { small: 1e-7 } }];
    const small = await prepared([{ ...batch[0], numbers: numbers.slice(0, 20) }]);
    expect(small.streamed).toBe(false);
    expect(small.text).toBe(JSON.stringify([{ ...batch[0], numbers: numbers.slice(0, 20) }]));
    const large = await prepared(Array.from({ length: 3 }, () => batch[0]));
    expect(large.streamed).toBe(true);
    expect(large.text === JSON.stringify(Array.from({ length: 3 }, () => batch[0]))).toBe(true);
  });

  it('throws where JSON.stringify still throws (a cycle, a toJSON that throws)', async () => {
    const cycle: Record<string, unknown> = { a: [1] };
    cycle.self = { back: cycle };
    expect(() => JSON.stringify(cycle)).toThrow(TypeError);
    await expect(made([cycle])).rejects.toThrow(/circular/);
    // The same object twice, not inside itself, is no cycle.
    const shared = { v: [1n, 2] };
    expect((await made([shared, shared])).text).toBe('[{"v":[1,2]},{"v":[1,2]}]');
    await expect(made({ bad: { toJSON: () => { throw new Error('no JSON'); } } })).rejects.toThrow('no JSON');
  });

  it('is sent whole under BODY_STREAM_BYTES and as it is made from there', async () => {
    const small = [event(0, 10)];
    const whole = await prepareBody(small);
    expect('bytes' in whole && whole.bytes.toString('utf8')).toBe(JSON.stringify(small));

    const large = [event(0, 40_000)];
    const text = JSON.stringify(large);
    expect(Buffer.byteLength(text)).toBeGreaterThan(BODY_STREAM_BYTES);
    const streamed = await prepareBody(large);
    expect('chunks' in streamed).toBe(true);
    const chunks: Buffer[] = [];
    if ('chunks' in streamed) for await (const chunk of streamed.chunks) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString('utf8') === text).toBe(true);
  });
});
