/**
 * OIP gRPC messages to and from the data plane's types. Input data comes either as typed
 * `contents` or, for every input at once, as `raw_input_contents` in the binary tensor form that
 * REST's binary extension also uses; outputs are answered as `raw_output_contents`, as Triton
 * does, which every OIP gRPC client reads.
 */
import type { Datatype, TensorData } from '../../core/datatypes.js';
import { Errors } from '../../core/errors.js';
import { tensorDataFromBinary, tensorDataToBinary } from '../../core/tensor-binary.js';
import { elementCount, tensorDataFromJson } from '../../core/tensor.js';
import type { InferenceRequest, InferenceResponse, TensorDataSource } from '../data-plane.js';
import type { GrpcInferRequest, GrpcParameter, GrpcTensorContents } from './oip-grpc-proto.js';

/** Which typed `contents` field carries each datatype (FP16 has none: it travels raw only). */
const CONTENTS_FIELD: Readonly<Record<Datatype, keyof GrpcTensorContents | undefined>> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP16: undefined,
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

/** A parameter's value, whichever typed field holds it. */
function parameterValue(parameter: GrpcParameter): unknown {
  switch (parameter.parameter_choice) {
    case 'bool_param':
      return parameter.bool_param;
    case 'int64_param':
      return Number(parameter.int64_param);
    case 'uint64_param':
      return Number(parameter.uint64_param);
    case 'double_param':
      return parameter.double_param;
    case 'string_param':
      return parameter.string_param;
    default:
      return undefined;
  }
}

function parameters(map: Record<string, GrpcParameter>): Record<string, unknown> | undefined {
  const entries = Object.entries(map ?? {});
  return entries.length ? Object.fromEntries(entries.map(([k, v]) => [k, parameterValue(v)])) : undefined;
}

class ContentsData implements TensorDataSource {
  constructor(private readonly contents: GrpcTensorContents | null) {}
  decode(datatype: Datatype, shape: readonly number[], input: string): TensorData {
    const field = CONTENTS_FIELD[datatype];
    if (!field) throw Errors.REQUEST_INVALID.create(`input '${input}' is ${datatype}, which has no typed contents field; send it in raw_input_contents`);
    const values = (this.contents?.[field] ?? []) as unknown[];
    const asJson = datatype === 'BYTES' ? (values as Buffer[]).map((b) => Buffer.from(b).toString('utf8')) : values;
    // The JSON path checks counts and value ranges (300 in a UINT8 arrives as an int here too).
    return tensorDataFromJson(datatype, asJson, shape, input);
  }
}

class RawData implements TensorDataSource {
  constructor(private readonly bytes: Uint8Array) {}
  decode(datatype: Datatype, shape: readonly number[], input: string): TensorData {
    return tensorDataFromBinary(datatype, this.bytes, elementCount(shape, input), input, shape);
  }
}

/** Decodes a ModelInferRequest into the data plane's request. */
export function decodeGrpcInfer(message: GrpcInferRequest): InferenceRequest {
  const raw = message.raw_input_contents ?? [];
  if (raw.length > 0 && raw.length !== message.inputs.length) {
    throw Errors.REQUEST_INVALID.create(`raw_input_contents has ${raw.length} entries but there are ${message.inputs.length} inputs; send one per input, in order`);
  }
  const requestParameters = parameters(message.parameters);
  return {
    ...(message.id ? { id: message.id } : {}),
    ...(requestParameters ? { parameters: requestParameters } : {}),
    inputs: message.inputs.map((input, i) => {
      const inputParameters = parameters(input.parameters);
      return {
        name: input.name,
        datatype: input.datatype,
        // int64 shapes arrive as decimal strings; a non-number is refused by the data plane's check.
        shape: input.shape.map((d) => (/^-?\d+$/.test(d) ? Number(d) : d)),
        ...(inputParameters ? { parameters: inputParameters } : {}),
        data: raw.length > 0 ? new RawData(raw[i]!) : new ContentsData(input.contents),
      };
    }),
    ...(message.outputs.length > 0 ? { outputs: message.outputs.map((o) => ({ name: o.name })) } : {}),
  };
}

/** Encodes the data plane's response as a ModelInferResponse with raw output contents. */
export function encodeGrpcInfer(response: InferenceResponse): Record<string, unknown> {
  return {
    model_name: response.modelName,
    model_version: response.modelVersion,
    id: response.id ?? '',
    outputs: response.outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape.map(String) })),
    raw_output_contents: response.outputs.map((o) => Buffer.from(tensorDataToBinary(o.datatype, o.data))),
  };
}
