/**
 * The Open Inference Protocol's REST wire format on the client side: JSON request bodies with
 * 64-bit integers written exactly, the binary tensor data extension both ways, and responses
 * decoded into typed tensors. Uses only DataView and TextEncoder, so it runs in browsers too.
 */
import type { Datatype } from '../core/datatypes.js';
import { type ExactJson, parseExactJson } from './exact-json.js';
import { fromFloat16Bits, toFloat16Bits } from './float16.js';
import { type AnyTensor, type Tensor, type TensorDataOf, elementCount, isDatatype } from './tensors.js';

/** Header naming the length of the JSON part of a binary request or response. */
export const HEADER_LENGTH = 'inference-header-content-length';

/** Bytes per element in the binary format (BYTES is length-prefixed). */
const BYTE_SIZE: Record<Datatype, number> = {
  BOOL: 1, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, FP16: 2, UINT32: 4, INT32: 4, FP32: 4, UINT64: 8, INT64: 8, FP64: 8, BYTES: 0,
};

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

/** Which outputs a request asks for, and in which form. */
export interface OutputRequest {
  readonly name: string;
  readonly parameters?: Readonly<Record<string, unknown>>;
}

/** What {@link encodeInferRequest} needs. */
export interface InferRequestParts {
  readonly id?: string;
  readonly inputs: readonly Tensor[];
  readonly outputs?: readonly OutputRequest[];
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** Send the inputs as binary tensor data (else as JSON). */
  readonly binaryInputs: boolean;
}

/** An encoded request body and its content headers. */
export interface EncodedRequest {
  readonly body: string | Uint8Array;
  readonly headers: Record<string, string>;
}

/** JSON text of one element list, with NaN and infinities as the strings servers accept. */
function jsonDataText(tensor: Tensor): string {
  switch (tensor.datatype) {
    case 'BYTES':
      return JSON.stringify(tensor.data);
    case 'BOOL':
      return `[${(tensor.data as boolean[]).join(',')}]`;
    case 'INT64':
    case 'UINT64':
      return `[${(tensor.data as BigInt64Array).join(',')}]`;
    default: {
      const values = Array.from(tensor.data as ArrayLike<number>, (v) => (Number.isFinite(v) ? String(v) : `"${v}"`));
      return `[${values.join(',')}]`;
    }
  }
}

/** The binary form of a tensor's data: fixed-size elements little-endian; BYTES length-prefixed. */
export function tensorToBinary(tensor: Tensor): Uint8Array {
  const { datatype } = tensor;
  if (datatype === 'BYTES') {
    const parts = (tensor.data as string[]).map((s) => utf8Encoder.encode(s));
    const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.byteLength, 0));
    const view = new DataView(out.buffer);
    let offset = 0;
    for (const part of parts) {
      view.setUint32(offset, part.byteLength, true);
      out.set(part, offset + 4);
      offset += 4 + part.byteLength;
    }
    return out;
  }
  if (datatype === 'BOOL') return Uint8Array.from(tensor.data as boolean[], (b) => (b ? 1 : 0));
  if (datatype === 'FP16') return new Uint8Array(Uint16Array.from(tensor.data as Float32Array, toFloat16Bits).buffer);
  const typed = tensor.data as Exclude<TensorDataOf<Datatype>, unknown[]>;
  if (LITTLE_ENDIAN) return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  const size = BYTE_SIZE[datatype];
  const out = new Uint8Array(typed.byteLength);
  const source = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  for (let i = 0; i < out.length; i += size) for (let b = 0; b < size; b++) out[i + b] = source[i + size - 1 - b]!;
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Encodes an infer request as JSON, or as a JSON header followed by the inputs' binary data. */
export function encodeInferRequest(parts: InferRequestParts): EncodedRequest {
  const binaries: Uint8Array[] = [];
  const inputTexts = parts.inputs.map((input) => {
    const head = `"name":${JSON.stringify(input.name)},"datatype":${JSON.stringify(input.datatype)},"shape":${JSON.stringify(input.shape)}`;
    if (parts.binaryInputs) {
      const bytes = tensorToBinary(input);
      binaries.push(bytes);
      return `{${head},"parameters":${JSON.stringify({ ...input.parameters, binary_data_size: bytes.byteLength })}}`;
    }
    const parameters = input.parameters ? `,"parameters":${JSON.stringify(input.parameters)}` : '';
    return `{${head}${parameters},"data":${jsonDataText(input)}}`;
  });
  const fields = [
    ...(parts.id !== undefined ? [`"id":${JSON.stringify(parts.id)}`] : []),
    ...(parts.parameters ? [`"parameters":${JSON.stringify(parts.parameters)}`] : []),
    `"inputs":[${inputTexts.join(',')}]`,
    ...(parts.outputs ? [`"outputs":${JSON.stringify(parts.outputs)}`] : []),
  ];
  const header = `{${fields.join(',')}}`;
  if (!parts.binaryInputs) return { body: header, headers: { 'content-type': 'application/json' } };
  const headerBytes = utf8Encoder.encode(header);
  const body = new Uint8Array(headerBytes.byteLength + binaries.reduce((n, b) => n + b.byteLength, 0));
  body.set(headerBytes, 0);
  let offset = headerBytes.byteLength;
  for (const b of binaries) {
    body.set(b, offset);
    offset += b.byteLength;
  }
  return { body, headers: { 'content-type': 'application/octet-stream', [HEADER_LENGTH]: String(headerBytes.byteLength) } };
}

/** A decoded infer response. */
export interface InferResponse {
  readonly modelName: string;
  readonly modelVersion?: string;
  readonly id?: string;
  readonly parameters?: Readonly<Record<string, unknown>>;
  readonly outputs: readonly AnyTensor[];
}

/** A response that does not follow the protocol. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

function flatten(data: ExactJson, out: ExactJson[] = []): ExactJson[] {
  if (Array.isArray(data)) for (const item of data) flatten(item, out);
  else out.push(data);
  return out;
}

function numberOf(value: ExactJson, output: string, index: number): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  throw new ProtocolError(`output '${output}', element ${index}: ${JSON.stringify(String(value))} is not a number`);
}

function bigintOf(value: ExactJson, output: string, index: number): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  throw new ProtocolError(`output '${output}', element ${index}: ${JSON.stringify(String(value))} is not an integer`);
}

/** Typed data of a JSON `data` array. */
function dataFromJson(datatype: Datatype, data: ExactJson, output: string): TensorDataOf<Datatype> {
  const values = flatten(data);
  switch (datatype) {
    case 'BOOL':
      return values.map((v) => v === true || v === 1);
    case 'BYTES':
      return values.map((v) => (typeof v === 'string' ? v : String(v)));
    case 'INT64':
      return BigInt64Array.from(values, (v, i) => bigintOf(v, output, i));
    case 'UINT64':
      return BigUint64Array.from(values, (v, i) => bigintOf(v, output, i));
    case 'FP16':
    case 'FP32':
      return Float32Array.from(values, (v, i) => numberOf(v, output, i));
    case 'FP64':
      return Float64Array.from(values, (v, i) => numberOf(v, output, i));
    default: {
      const numbers = values.map((v, i) => numberOf(v, output, i));
      const ctor = { UINT8: Uint8Array, UINT16: Uint16Array, UINT32: Uint32Array, INT8: Int8Array, INT16: Int16Array, INT32: Int32Array }[datatype];
      return ctor.from(numbers);
    }
  }
}

/** Typed data of `count` elements in the binary format. */
export function dataFromBinary(datatype: Datatype, bytes: Uint8Array, count: number, output: string): TensorDataOf<Datatype> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (datatype === 'BYTES') {
    const out: string[] = [];
    let offset = 0;
    while (offset < bytes.byteLength) {
      if (offset + 4 > bytes.byteLength) throw new ProtocolError(`output '${output}': BYTES data ends inside a length prefix`);
      const length = view.getUint32(offset, true);
      if (offset + 4 + length > bytes.byteLength) throw new ProtocolError(`output '${output}': a BYTES element runs past the data`);
      out.push(utf8Decoder.decode(bytes.subarray(offset + 4, offset + 4 + length)));
      offset += 4 + length;
    }
    if (out.length !== count) throw new ProtocolError(`output '${output}' has ${out.length} BYTES elements; its shape holds ${count}`);
    return out;
  }
  const size = BYTE_SIZE[datatype];
  if (bytes.byteLength !== count * size) throw new ProtocolError(`output '${output}' has ${bytes.byteLength} bytes of ${datatype}; its shape needs ${count * size}`);
  const read = (fn: (offset: number) => number) => Array.from({ length: count }, (_, i) => fn(i * size));
  switch (datatype) {
    case 'BOOL': return read((o) => view.getUint8(o)).map((v) => v !== 0);
    case 'UINT8': return new Uint8Array(bytes);
    case 'INT8': return Int8Array.from(read((o) => view.getInt8(o)));
    case 'UINT16': return Uint16Array.from(read((o) => view.getUint16(o, true)));
    case 'INT16': return Int16Array.from(read((o) => view.getInt16(o, true)));
    case 'FP16': return Float32Array.from(read((o) => fromFloat16Bits(view.getUint16(o, true))));
    case 'UINT32': return Uint32Array.from(read((o) => view.getUint32(o, true)));
    case 'INT32': return Int32Array.from(read((o) => view.getInt32(o, true)));
    case 'FP32': return Float32Array.from(read((o) => view.getFloat32(o, true)));
    case 'FP64': return Float64Array.from(read((o) => view.getFloat64(o, true)));
    case 'UINT64': return BigUint64Array.from({ length: count }, (_, i) => view.getBigUint64(i * 8, true));
    case 'INT64': return BigInt64Array.from({ length: count }, (_, i) => view.getBigInt64(i * 8, true));
  }
}

function isRecord(value: unknown): value is Record<string, ExactJson> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Decodes an infer response body. `headerLength` is the value of Inference-Header-Content-Length
 * (absent for a plain JSON body).
 */
export function decodeInferResponse(body: Uint8Array, headerLength: string | null): InferResponse {
  let jsonEnd = body.byteLength;
  if (headerLength !== null) {
    jsonEnd = Number(headerLength);
    if (!Number.isSafeInteger(jsonEnd) || jsonEnd <= 0 || jsonEnd > body.byteLength) {
      throw new ProtocolError(`Inference-Header-Content-Length is '${headerLength}', but the body has ${body.byteLength} bytes`);
    }
  }
  const json = parseExactJson(utf8Decoder.decode(body.subarray(0, jsonEnd)));
  if (!isRecord(json) || !Array.isArray(json.outputs)) throw new ProtocolError("the response has no 'outputs' array");
  let offset = jsonEnd;
  const outputs = json.outputs.map((raw, index): AnyTensor => {
    if (!isRecord(raw) || typeof raw.name !== 'string') throw new ProtocolError(`outputs[${index}] has no string 'name'`);
    const { name, datatype, shape } = raw;
    if (!isDatatype(datatype)) throw new ProtocolError(`output '${name}' has datatype ${JSON.stringify(datatype)}, which is not an OIP datatype`);
    if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number')) throw new ProtocolError(`output '${name}' has no 'shape' array of numbers`);
    const dims = shape as number[];
    const parameters = isRecord(raw.parameters) ? raw.parameters : undefined;
    const binarySize = parameters?.binary_data_size;
    let data: TensorDataOf<Datatype>;
    if (binarySize !== undefined) {
      if (typeof binarySize !== 'number' || offset + binarySize > body.byteLength) {
        throw new ProtocolError(`output '${name}' declares binary_data_size ${String(binarySize)}, past the end of the body`);
      }
      data = dataFromBinary(datatype, body.subarray(offset, offset + binarySize), elementCount(dims, `output '${name}'`), name);
      offset += binarySize;
    } else {
      if (raw.data === undefined) throw new ProtocolError(`output '${name}' has neither 'data' nor binary_data_size`);
      data = dataFromJson(datatype, raw.data, name);
    }
    const { binary_data_size: _size, ...rest } = parameters ?? {};
    return {
      name,
      datatype,
      shape: dims,
      data,
      ...(Object.keys(rest).length > 0 ? { parameters: rest } : {}),
    } as AnyTensor;
  });
  return {
    modelName: typeof json.model_name === 'string' ? json.model_name : '',
    ...(typeof json.model_version === 'string' ? { modelVersion: json.model_version } : {}),
    ...(typeof json.id === 'string' ? { id: json.id } : {}),
    ...(isRecord(json.parameters) ? { parameters: json.parameters } : {}),
    outputs,
  };
}
