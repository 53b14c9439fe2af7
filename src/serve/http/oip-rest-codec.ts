/**
 * The Open Inference Protocol's REST wire format, JSON and binary tensor data extension, to and
 * from the data plane's types. No validation against a model happens here; only the shape of the
 * JSON is checked.
 */
import type { Datatype, TensorData } from '../../core/datatypes.js';
import { Errors } from '../../core/errors.js';
import { tensorDataFromBinary, tensorDataToBinary } from '../../core/tensor-binary.js';
import { elementCount, jsonForMessage, tensorDataFromJson, tensorDataToJsonText } from '../../core/tensor.js';
import type { InferenceInput, InferenceRequest, InferenceResponse, RequestedOutput, TensorDataSource } from '../data-plane.js';
import { parseJsonBody } from './json-body.js';

/** Header naming the length of the JSON part of a binary request or response. */
export const HEADER_LENGTH = 'inference-header-content-length';

/** A request body decoded, with which outputs the caller wants in binary. */
export interface DecodedInferRequest {
  readonly request: InferenceRequest;
  /** True for each requested output (by name) to be returned as binary data. */
  readonly binaryOutput: (name: string) => boolean;
}

/** An encoded response body with its content headers. */
export interface EncodedBody {
  readonly body: string | Buffer;
  readonly contentType: string;
  readonly headerLength?: number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parametersOf(value: unknown, where: string): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw Errors.REQUEST_INVALID.create(`${where} 'parameters' must be an object`);
  return value;
}

class JsonData implements TensorDataSource {
  constructor(private readonly data: unknown) {}
  decode(datatype: Datatype, shape: readonly number[], input: string): TensorData {
    return tensorDataFromJson(datatype, this.data, shape, input);
  }
}

class BinaryData implements TensorDataSource {
  constructor(private readonly bytes: Uint8Array) {}
  decode(datatype: Datatype, shape: readonly number[], input: string): TensorData {
    return tensorDataFromBinary(datatype, this.bytes, elementCount(shape, input), input, shape);
  }
}

/**
 * Decodes an infer request body. With the `Inference-Header-Content-Length` header, the body is
 * that many bytes of JSON followed by the binary data of each input that declares
 * `binary_data_size`, in order.
 */
export function decodeInferRequest(body: Buffer, headerLengthValue: string | undefined): DecodedInferRequest {
  let jsonPart: Buffer = body;
  let binaryPart: Buffer | undefined;
  if (headerLengthValue !== undefined) {
    const headerLength = /^\d+$/.test(headerLengthValue.trim()) ? Number(headerLengthValue) : Number.NaN;
    if (!Number.isSafeInteger(headerLength) || headerLength > body.length || headerLength === 0) {
      throw Errors.BINARY_HEADER.create(
        `Inference-Header-Content-Length is '${headerLengthValue}', but it must be a positive integer no larger than the body (${body.length} bytes)`,
      );
    }
    jsonPart = body.subarray(0, headerLength);
    binaryPart = body.subarray(headerLength);
  }
  const json = parseJsonBody(jsonPart.toString('utf8'));
  if (!isObject(json)) throw Errors.REQUEST_INVALID.create('the body must be a JSON object with an \'inputs\' array');
  if (!Array.isArray(json.inputs)) throw Errors.REQUEST_INVALID.create('\'inputs\' must be an array of tensors');
  if (json.id !== undefined && typeof json.id !== 'string') throw Errors.REQUEST_INVALID.create('\'id\' must be a string');
  const parameters = parametersOf(json.parameters, 'the request');

  let offset = 0;
  const inputs: InferenceInput[] = json.inputs.map((raw: unknown, index: number): InferenceInput => {
    if (!isObject(raw)) throw Errors.REQUEST_INVALID.create(`inputs[${index}] must be an object`);
    const { name, datatype, shape, data } = raw;
    if (typeof name !== 'string') throw Errors.REQUEST_INVALID.create(`inputs[${index}] must have a string 'name'`);
    if (typeof datatype !== 'string') throw Errors.REQUEST_INVALID.create(`input '${name}' must have a string 'datatype'`);
    if (!Array.isArray(shape)) throw Errors.REQUEST_INVALID.create(`input '${name}' must have 'shape' as an array of integers`);
    const inputParameters = parametersOf(raw.parameters, `input '${name}'`);
    const binarySize = inputParameters?.binary_data_size;
    if (binarySize !== undefined) {
      if (typeof binarySize !== 'number' || !Number.isSafeInteger(binarySize) || binarySize < 0) {
        throw Errors.BINARY_HEADER.create(`input '${name}' has binary_data_size ${jsonForMessage(binarySize)}; it must be a non-negative integer`);
      }
      if (!binaryPart) {
        throw Errors.BINARY_HEADER.create(`input '${name}' has binary_data_size but the request has no Inference-Header-Content-Length header`);
      }
      if (data !== undefined) throw Errors.REQUEST_INVALID.create(`input '${name}' has both 'data' and binary_data_size; send one`);
      if (offset + binarySize > binaryPart.length) {
        throw Errors.BINARY_HEADER.create(
          `input '${name}' declares ${binarySize} bytes at offset ${offset}, but the binary part has only ${binaryPart.length} bytes`,
        );
      }
      const bytes = binaryPart.subarray(offset, offset + binarySize);
      offset += binarySize;
      return { name, datatype, shape, ...(inputParameters ? { parameters: inputParameters } : {}), data: new BinaryData(bytes) };
    }
    if (data === undefined) throw Errors.REQUEST_INVALID.create(`input '${name}' has no 'data' (nor binary_data_size)`);
    return { name, datatype, shape, ...(inputParameters ? { parameters: inputParameters } : {}), data: new JsonData(data) };
  });
  if (binaryPart && offset !== binaryPart.length) {
    throw Errors.BINARY_HEADER.create(`the binary part has ${binaryPart.length} bytes but the inputs declare ${offset}`);
  }

  let outputs: RequestedOutput[] | undefined;
  if (json.outputs !== undefined) {
    if (!Array.isArray(json.outputs)) throw Errors.REQUEST_INVALID.create('\'outputs\' must be an array of {"name": ...} objects');
    outputs = json.outputs.map((raw: unknown, index: number) => {
      if (!isObject(raw) || typeof raw.name !== 'string') throw Errors.REQUEST_INVALID.create(`outputs[${index}] must be an object with a string 'name'`);
      const outputParameters = parametersOf(raw.parameters, `output '${raw.name}'`);
      return { name: raw.name, ...(outputParameters ? { parameters: outputParameters } : {}) };
    });
  }

  const request: InferenceRequest = {
    ...(typeof json.id === 'string' ? { id: json.id } : {}),
    ...(parameters ? { parameters } : {}),
    inputs,
    ...(outputs ? { outputs } : {}),
  };
  return { request, binaryOutput: binaryOutputOf(request) };
}

/** Which outputs a request asks for in binary: each output's `binary_data`, else the request's `binary_data_output`. */
export function binaryOutputOf(request: Pick<InferenceRequest, 'parameters' | 'outputs'>): (name: string) => boolean {
  const allBinary = request.parameters?.binary_data_output === true;
  const binaryByName = new Map<string, boolean>();
  for (const output of request.outputs ?? []) {
    const flag = output.parameters?.binary_data;
    if (typeof flag === 'boolean') binaryByName.set(output.name, flag);
  }
  return (name) => binaryByName.get(name) ?? allBinary;
}

/** Encodes an inference response; outputs asked for in binary follow the JSON header. */
export function encodeInferResponse(response: InferenceResponse, binaryOutput: (name: string) => boolean): EncodedBody {
  const binaries: Uint8Array[] = [];
  const outputTexts = response.outputs.map((output) => {
    const head = `{"name":${JSON.stringify(output.name)},"datatype":"${output.datatype}","shape":[${output.shape.join(',')}]`;
    if (binaryOutput(output.name)) {
      const bytes = tensorDataToBinary(output.datatype, output.data);
      binaries.push(bytes);
      return `${head},"parameters":{"binary_data_size":${bytes.byteLength}}}`;
    }
    return `${head},"data":${tensorDataToJsonText(output.datatype, output.data)}}`;
  });
  const id = response.id !== undefined ? `,"id":${JSON.stringify(response.id)}` : '';
  const header = `{"model_name":${JSON.stringify(response.modelName)},"model_version":${JSON.stringify(response.modelVersion)}${id},"outputs":[${outputTexts.join(',')}]}`;
  if (binaries.length === 0) return { body: header, contentType: 'application/json' };
  const headerBytes = Buffer.from(header, 'utf8');
  return {
    body: Buffer.concat([headerBytes, ...binaries]),
    contentType: 'application/octet-stream',
    headerLength: headerBytes.byteLength,
  };
}
