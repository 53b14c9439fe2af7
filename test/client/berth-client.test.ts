/**
 * berth/client against a real Berth server with real ONNX models: every datatype in JSON and in
 * the binary extension (64-bit extremes exact), output selection, catalogue errors, retries on
 * 503 after Retry-After, timeouts and unreachable servers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BerthClient,
  BerthConnectionError,
  BerthServerError,
  BerthTimeoutError,
  type Datatype,
  type ErrorCode,
  fromFloat16Bits,
  parseExactJson,
  retryAfterMs,
  tensor,
  toFloat16Bits,
} from '../../dist/client/index.js';
import type { RunningServer } from '../../dist/serve/server.js';
import { ELEMENT_TYPES, tempDir, writeHeavyModel, writeIdentityModel, writeTwoInOutModel } from '../helpers/models.js';
import { startTestServer } from '../helpers/server.js';

/** Six values per datatype, at the edges of each type. */
const SAMPLES: Record<Datatype, readonly (number | bigint | boolean | string)[]> = {
  BOOL: [true, false, true, false, false, true],
  UINT8: [0, 1, 127, 128, 254, 255],
  UINT16: [0, 1, 32767, 32768, 65534, 65535],
  UINT32: [0, 1, 2147483647, 2147483648, 4294967294, 4294967295],
  UINT64: [0n, 1n, 9007199254740993n, 9223372036854775808n, 18446744073709551614n, 18446744073709551615n],
  INT8: [-128, -1, 0, 1, 126, 127],
  INT16: [-32768, -1, 0, 1, 32766, 32767],
  INT32: [-2147483648, -1, 0, 1, 2147483646, 2147483647],
  INT64: [-9223372036854775808n, -9007199254740993n, -1n, 0n, 9007199254740993n, 9223372036854775807n],
  FP16: [0, -2, 0.5, 1.5, 65504, -65504],
  FP32: [0, -1.5, 3.4028234663852886e38, 1.1754943508222875e-38, Number.NaN, Number.NEGATIVE_INFINITY],
  FP64: [0, -1.5, 1.7976931348623157e308, 5e-324, Number.POSITIVE_INFINITY, Number.NaN],
  BYTES: ['', 'a', 'héllo', '日本語', 'with "quotes"', 'tab\tnewline\n'],
};

let server: RunningServer;
let client: BerthClient;

beforeAll(async () => {
  const dir = tempDir();
  server = await startTestServer([
    ...Object.keys(ELEMENT_TYPES).map((dt) => ({ name: dt.toLowerCase(), path: writeIdentityModel(dir, dt) })),
    { name: 'pair', path: writeTwoInOutModel(dir) },
  ]);
  client = new BerthClient({ url: server.url });
});
afterAll(async () => {
  await server?.close();
});

describe('BerthClient over the Open Inference Protocol', () => {
  it('reads health, server metadata and model metadata', async () => {
    expect(await client.live()).toBe(true);
    expect(await client.ready()).toBe(true);
    expect(await client.modelReady('fp32')).toBe(true);
    expect(await client.modelReady('fp32', { version: 1 })).toBe(true);
    const meta = await client.serverMetadata();
    expect(meta.name).toBe('berth');
    expect(meta.extensions).toContain('binary_tensor_data');
    expect(await client.modelMetadata('int64')).toEqual({
      name: 'int64',
      versions: ['1'],
      platform: 'onnx_onnxv1',
      inputs: [{ name: 'x', datatype: 'INT64', shape: [-1, 3] }],
      outputs: [{ name: 'y', datatype: 'INT64', shape: [-1, 3] }],
    });
  });

  for (const binary of [false, true]) {
    it.each(Object.keys(SAMPLES) as Datatype[])(`%s round-trips exactly ${binary ? 'in binary' : 'in JSON'}`, async (datatype) => {
      const input = tensor('x', datatype, [2, 3], SAMPLES[datatype]);
      const result = await client.infer(datatype.toLowerCase(), [input], { binary, id: `rt-${datatype}` });
      expect(result.id).toBe(`rt-${datatype}`);
      expect(result.modelName).toBe(datatype.toLowerCase());
      expect(result.modelVersion).toBe('1');
      const y = result.output('y');
      expect(y.datatype).toBe(datatype);
      expect(y.shape).toEqual([2, 3]);
      expect(y.data.constructor).toBe(input.data.constructor);
      expect(Array.from(y.data as ArrayLike<unknown>)).toEqual(Array.from(input.data as ArrayLike<unknown>));
    });
  }

  it('keeps 64-bit integers exact as BigInt and refuses values outside the type before sending', async () => {
    const result = await client.infer('int64', [{ name: 'x', datatype: 'INT64', shape: [1, 3], data: ['-9223372036854775808', 9007199254740993n, 7] }]);
    const y = result.output('y');
    if (y.datatype !== 'INT64') throw new Error('expected INT64');
    expect([...y.data]).toEqual([-9223372036854775808n, 9007199254740993n, 7n]);
    expect(() => tensor('x', 'INT64', [1], [9223372036854775808n])).toThrow(/outside the INT64 range/);
    expect(() => tensor('x', 'UINT8', [1], [256])).toThrow("Input 'x', element 0: 256 is outside the UINT8 range");
    expect(() => tensor('x', 'INT64', [1], [2 ** 60])).toThrow(/bigint or decimal strings/);
    expect(() => tensor('x', 'FP32', [2, 2], [1, 2])).toThrow('holds 4 elements, but its data has 2');
  });

  it('rounds FP16 to the nearest half the same way in JSON and in binary', async () => {
    const values = [0.1, 1 / 3, 65519, 65520, 1e-7, -3e-5];
    const viaJson = (await client.infer('fp16', [tensor('x', 'FP16', [2, 3], values)])).output('y').data;
    const viaBinary = (await client.infer('fp16', [tensor('x', 'FP16', [2, 3], values)], { binary: true })).output('y').data;
    expect(Array.from(viaBinary as Float32Array)).toEqual(Array.from(viaJson as Float32Array));
    expect(Array.from(viaJson as Float32Array)).toEqual(values.map((v) => fromFloat16Bits(toFloat16Bits(v))));
    expect(toFloat16Bits(65520)).toBe(0x7c00);
    expect(toFloat16Bits(Number.NaN) & 0x7c00).toBe(0x7c00);
  });

  it('selects outputs, each in JSON or binary', async () => {
    const inputs = [tensor('a', 'FP32', [1, 2], [1, 2]), tensor('b', 'FP32', [1, 2], [3, 4])];
    const only = await client.infer('pair', inputs, { outputs: ['product'] });
    expect(only.outputs.map((o) => o.name)).toEqual(['product']);
    expect(Array.from(only.output('product').data as Float32Array)).toEqual([3, 8]);
    const mixed = await client.infer('pair', inputs, { outputs: [{ name: 'sum', binary: true }, { name: 'product', binary: false }], binaryInputs: true });
    expect(Array.from(mixed.output('sum').data as Float32Array)).toEqual([4, 6]);
    expect(Array.from(mixed.output('product').data as Float32Array)).toEqual([3, 8]);
    expect(() => mixed.output('quotient')).toThrow("The answer has no output 'quotient'; it has 'sum', 'product'");
  });

  it('throws BerthServerError with the catalogue code, status and request id', async () => {
    const cases: [() => Promise<unknown>, ErrorCode, number][] = [
      [() => client.infer('nope', [tensor('x', 'FP32', [1, 3], [1, 2, 3])]), 'BERTH_MODEL_NOT_FOUND', 404],
      [() => client.infer('fp32', [tensor('x', 'FP32', [1, 3], [1, 2, 3])], { version: 7 }), 'BERTH_VERSION_NOT_FOUND', 404],
      [() => client.infer('fp32', [tensor('x', 'FP32', [3, 1], [1, 2, 3])]), 'BERTH_INPUT_SHAPE', 400],
      [() => client.infer('fp32', [tensor('x', 'FP64', [1, 3], [1, 2, 3])], { binary: true }), 'BERTH_INPUT_DATATYPE', 400],
      [() => client.infer('pair', [tensor('a', 'FP32', [1, 2], [1, 2])]), 'BERTH_INPUT_MISSING', 400],
      [() => client.infer('pair', [tensor('a', 'FP32', [1, 2], [1, 2]), tensor('b', 'FP32', [1, 2], [1, 2])], { outputs: ['quotient'] }), 'BERTH_OUTPUT_UNKNOWN', 400],
      [() => client.modelMetadata('nope'), 'BERTH_MODEL_NOT_FOUND', 404],
    ];
    for (const [call, code, status] of cases) {
      const error = await call().then(() => undefined, (e: unknown) => e);
      expect(error, code).toBeInstanceOf(BerthServerError);
      const serverError = error as BerthServerError;
      expect([serverError.code, serverError.status]).toEqual([code, status]);
      expect(serverError.message.length).toBeGreaterThan(10);
      expect(serverError.requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
    const notReady = await client.modelReady('nope').then(() => undefined, (e: unknown) => e);
    expect((notReady as BerthServerError).code).toBe('BERTH_MODEL_NOT_FOUND');
  });

  it('says NETWORK for a server that is not there, after retrying GETs', async () => {
    const { createServer } = await import('node:net');
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const gone = new BerthClient({ url: `http://127.0.0.1:${port}`, retries: 2, retryBaseDelayMs: 10 });
    const error = await gone.live().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(BerthConnectionError);
    expect((error as BerthConnectionError).code).toBe('NETWORK');
    expect((error as Error).message).toContain(`Cannot reach the Berth server at http://127.0.0.1:${port} (ECONNREFUSED)`);
  });

  it('parses 64-bit integers in any JSON exactly', () => {
    expect(parseExactJson('{"a":[9223372036854775807,-9223372036854775808,1.5e300,"x\\"y",true,null],"b":{}}')).toEqual({
      a: [9223372036854775807n, -9223372036854775808n, 1.5e300, 'x"y', true, null],
      b: {},
    });
    expect(parseExactJson('[12345678901234567,1234567890123456]')).toEqual([12345678901234567n, 1234567890123456]);
    expect(() => parseExactJson('[12345678901234567,')).toThrow(SyntaxError);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs('Thu, 03 Dec 2026 12:00:05 GMT', Date.parse('Thu, 03 Dec 2026 12:00:00 GMT'))).toBe(5000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});

describe('BerthClient under overload', () => {
  let busy: RunningServer;
  beforeAll(async () => {
    // One inference thread and a queue of one: concurrent requests beyond two get 503 with Retry-After.
    busy = await startTestServer([{ name: 'heavy', path: writeHeavyModel(tempDir(), 512) }], {
      runtime: { threads: 1, execution: 'worker' },
      batching: { maxBatchSize: 1, maxQueue: 1 },
    });
  });
  afterAll(async () => {
    await busy?.close();
  });

  const rows = 256;
  const x = () => tensor('x', 'FP32', [rows, 512], new Float32Array(rows * 512).fill(0.5));

  it('retries 503 after the server\'s Retry-After until every request is answered', async () => {
    const strict = new BerthClient({ url: busy.url, retries: 0 });
    const refused = await Promise.allSettled(Array.from({ length: 6 }, () => strict.infer('heavy', [x()], { binary: true })));
    const failures = refused.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as BerthServerError);
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) expect([failure.status, failure.code]).toEqual([503, 'BERTH_QUEUE_FULL']);

    const patient = new BerthClient({ url: busy.url, retries: 20 });
    const started = Date.now();
    const answered = await Promise.all(Array.from({ length: 6 }, () => patient.infer('heavy', [x()], { binary: true })));
    for (const result of answered) expect(result.output('y').shape).toEqual([rows, 512]);
    // Whoever was refused waited the Retry-After of 1 s the server sent before trying again.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('gives up at once when Retry-After is longer than the client will wait', async () => {
    const hasty = new BerthClient({ url: busy.url, retries: 5, maxRetryDelayMs: 500 });
    const settled = await Promise.allSettled(Array.from({ length: 6 }, () => hasty.infer('heavy', [x()], { binary: true })));
    const codes = settled.map((r) => (r.status === 'rejected' ? (r.reason as BerthServerError).code : 'ok'));
    expect(codes).toContain('BERTH_QUEUE_FULL');
  });

  it('times out an attempt that takes too long', async () => {
    const impatient = new BerthClient({ url: busy.url, timeoutMs: 1, retries: 0 });
    const error = await impatient.infer('heavy', [x()], { binary: true }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(BerthTimeoutError);
    expect((error as BerthTimeoutError).code).toBe('TIMEOUT');
    expect((error as Error).message).toContain('got no answer within 1 ms');
  });
});
