/**
 * The Open Inference Protocol over gRPC, against the same golden payloads as REST: every ONNX
 * backend conformance case with typed contents and with raw contents, plus health, metadata and
 * errors with their gRPC status codes.
 */
import { type Client, credentials, status as GrpcCode, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oipGrpcService } from '../../dist/serve/grpc/oip-grpc-proto.js';
import type { RunningServer } from '../../dist/serve/server.js';
import { decodeBinary, encodeBinary } from '../helpers/binary-tensors.js';
import { type FixtureTensor, firstMismatch, fixtureCases, hasStringNormalizerLocale, needsLocale } from '../helpers/fixtures.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';
import { startTestServer } from '../helpers/server.js';

// Without the locale the StringNormalizer models cannot load (see onnx-backend.test.ts, which lists them as skipped).
const cases = (await hasStringNormalizerLocale()) ? fixtureCases() : fixtureCases().filter((c) => !needsLocale(c));
let server: RunningServer;
let client: Client & Record<string, (request: unknown, callback: (error: ServiceError | null, response: never) => void) => void>;

function call<T>(method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) => client[method]!(request, (error, response) => (error ? reject(error) : resolve(response as T))));
}

beforeAll(async () => {
  const dir = tempDir();
  server = await startTestServer(
    [...cases.map((c) => ({ name: c.name, path: c.model })), { name: 'uint8', path: writeIdentityModel(dir, 'UINT8') }, { name: 'fp16', path: writeIdentityModel(dir, 'FP16') }],
    { server: { grpcPort: 0 } },
  );
  const Service = oipGrpcService();
  client = new Service(`127.0.0.1:${server.grpcPort}`, credentials.createInsecure()) as typeof client;
});
afterAll(async () => {
  client?.close();
  await server?.close();
});

/** Typed contents of a fixture tensor (64-bit integers as decimal strings, bytes as Buffers). */
function contents(t: FixtureTensor): Record<string, unknown> {
  switch (t.datatype) {
    case 'FP32':
      return { fp32_contents: t.data.map(Number) };
    case 'FP64':
      return { fp64_contents: t.data.map(Number) };
    case 'INT64':
      return { int64_contents: t.data.map(String) };
    case 'BYTES':
      return { bytes_contents: t.data.map((s) => Buffer.from(String(s))) };
    default:
      throw new Error(`no contents for ${t.datatype}`);
  }
}

interface InferResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: { name: string; datatype: string; shape: string[] }[];
  raw_output_contents: Buffer[];
}

function checkOutputs(response: InferResponse, expected: Record<string, FixtureTensor>): void {
  for (const [name, want] of Object.entries(expected)) {
    const index = response.outputs.findIndex((o) => o.name === name);
    expect(index, `output ${name}`).toBeGreaterThanOrEqual(0);
    expect(response.outputs[index]!.shape.map(Number)).toEqual(want.shape);
    const values = decodeBinary(want.datatype, response.raw_output_contents[index]!).map((v) => (typeof v === 'bigint' ? Number(v) : v));
    expect(firstMismatch(values, want.data)).toBeUndefined();
  }
}

describe('OIP over gRPC', () => {
  it('answers health and server metadata', async () => {
    expect(await call('ServerLive', {})).toEqual({ live: true });
    expect(await call('ServerReady', {})).toEqual({ ready: true });
    expect(await call('ServerMetadata', {})).toEqual({ name: 'berth', version: 'test', extensions: ['binary_tensor_data'] });
    expect(await call('ModelReady', { name: 'uint8', version: '' })).toEqual({ ready: true });
  });

  it('describes a model with -1 for dynamic dimensions', async () => {
    expect(await call('ModelMetadata', { name: 'uint8', version: '' })).toEqual({
      name: 'uint8',
      versions: ['1'],
      platform: 'onnx_onnxv1',
      inputs: [{ name: 'x', datatype: 'UINT8', shape: ['-1', '3'] }],
      outputs: [{ name: 'y', datatype: 'UINT8', shape: ['-1', '3'] }],
    });
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s with typed contents', async (name, c) => {
    const response = await call<InferResponse>('ModelInfer', {
      model_name: name,
      id: name,
      inputs: Object.entries(c.inputs).map(([input, t]) => ({ name: input, datatype: t.datatype, shape: t.shape, contents: contents(t) })),
    });
    expect(response.id).toBe(name);
    checkOutputs(response, c.outputs);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s with raw contents', async (name, c) => {
    const inputs = Object.entries(c.inputs);
    const response = await call<InferResponse>('ModelInfer', {
      model_name: name,
      inputs: inputs.map(([input, t]) => ({ name: input, datatype: t.datatype, shape: t.shape })),
      raw_input_contents: inputs.map(([, t]) => encodeBinary(t.datatype, t.data)),
    });
    checkOutputs(response, c.outputs);
  });

  it('carries FP16 as raw 16-bit patterns', async () => {
    const bits = [0x3c00, 0xc000, 0x3800, 0x7bff, 0, 0x3e00];
    const response = await call<InferResponse>('ModelInfer', {
      model_name: 'fp16',
      inputs: [{ name: 'x', datatype: 'FP16', shape: [2, 3] }],
      raw_input_contents: [encodeBinary('FP16', bits)],
    });
    expect(decodeBinary('FP16', response.raw_output_contents[0]!)).toEqual(bits);
  });

  it.each([
    ['an unknown model', { model_name: 'nope', inputs: [] }, GrpcCode.NOT_FOUND, 'BERTH_MODEL_NOT_FOUND'],
    ['an unknown version', { model_name: 'uint8', model_version: '9', inputs: [] }, GrpcCode.NOT_FOUND, 'BERTH_VERSION_NOT_FOUND'],
    ['a value out of range', { model_name: 'uint8', inputs: [{ name: 'x', datatype: 'UINT8', shape: [1, 3], contents: { uint_contents: [1, 300, 2] } }] }, GrpcCode.INVALID_ARGUMENT, 'outside the UINT8 range'],
    ['a shape that does not fit', { model_name: 'uint8', inputs: [{ name: 'x', datatype: 'UINT8', shape: [1, 4], contents: { uint_contents: [1, 2, 3, 4] } }] }, GrpcCode.INVALID_ARGUMENT, 'BERTH_INPUT_SHAPE'],
    ['raw contents of the wrong size', { model_name: 'uint8', inputs: [{ name: 'x', datatype: 'UINT8', shape: [1, 3] }], raw_input_contents: [Buffer.alloc(2)] }, GrpcCode.INVALID_ARGUMENT, 'BERTH_INPUT_DATA_LENGTH'],
    ['FP16 in typed contents', { model_name: 'fp16', inputs: [{ name: 'x', datatype: 'FP16', shape: [1, 3], contents: { fp32_contents: [1, 2, 3] } }] }, GrpcCode.INVALID_ARGUMENT, 'raw_input_contents'],
    // 64-bit dimensions that JavaScript numbers cannot hold, and a zero-size tensor with a huge side.
    ['a dimension of 2^53', { model_name: 'uint8', inputs: [{ name: 'x', datatype: 'UINT8', shape: ['9007199254740992', '3'], contents: { uint_contents: [1, 2, 3] } }] }, GrpcCode.INVALID_ARGUMENT, 'BERTH_REQUEST_INVALID'],
    ['a zero-size shape with a side of 2^53 - 1', { model_name: 'uint8', inputs: [{ name: 'x', datatype: 'UINT8', shape: ['0', '9007199254740991'] }] }, GrpcCode.INVALID_ARGUMENT, 'BERTH_REQUEST_INVALID'],
  ])('refuses %s with the catalogue status', async (_case, request, code, message) => {
    const error = (await call('ModelInfer', request).catch((e: unknown) => e)) as ServiceError;
    expect(error.code).toBe(code);
    expect(error.details).toContain(message);
  });
});
