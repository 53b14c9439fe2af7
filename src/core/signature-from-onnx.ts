/**
 * Reads a model's signature straight from the bytes of an ONNX file, without onnxruntime: what a
 * bundle records at packaging time and what the registry checks a bundle against.
 *
 * The rules mirror how the runtime serves a model (src/runtime/onnx-signature.ts), so that the
 * signature in a bundle is the one the server will advertise: graph inputs minus initializers
 * (older exporters list weights as inputs too) are the inputs and must be tensors; outputs that
 * are not tensors (sequences and maps, e.g. scikit-learn's ZipMap) are left out; a dimension with
 * a symbolic or missing size is -1; a tensor without a shape has an undefined shape.
 */
import type { Datatype } from './datatypes.js';
import { Errors } from './errors.js';
import { OnnxElementType, decodeOnnxModel, type OnnxModel, type OnnxValueInfo } from './onnx-proto.js';
import type { Signature, TensorSpec } from './signature.js';

const DATATYPE_OF_ELEMENT: ReadonlyMap<number, Datatype> = new Map<number, Datatype>([
  [OnnxElementType.FLOAT, 'FP32'],
  [OnnxElementType.UINT8, 'UINT8'],
  [OnnxElementType.INT8, 'INT8'],
  [OnnxElementType.UINT16, 'UINT16'],
  [OnnxElementType.INT16, 'INT16'],
  [OnnxElementType.INT32, 'INT32'],
  [OnnxElementType.INT64, 'INT64'],
  [OnnxElementType.STRING, 'BYTES'],
  [OnnxElementType.BOOL, 'BOOL'],
  [OnnxElementType.FLOAT16, 'FP16'],
  [OnnxElementType.DOUBLE, 'FP64'],
  [OnnxElementType.UINT32, 'UINT32'],
  [OnnxElementType.UINT64, 'UINT64'],
]);

/** The signature of an ONNX model and facts about the file worth recording next to it. */
export interface OnnxDescription {
  readonly signature: Signature;
  /** Outputs left out of the signature because they are not tensors. */
  readonly skippedOutputs: readonly string[];
  readonly irVersion: number;
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  readonly producer: string | undefined;
  readonly producerVersion: string | undefined;
}

/**
 * The signature of the ONNX model in `bytes`. Throws BERTH_BUNDLE_MODEL_INVALID naming `source`
 * when the bytes are not an ONNX model or the model has inputs Berth cannot serve.
 *
 * @example
 *   const { inputs, outputs } = signatureFromOnnx(readFileSync('model.onnx'));
 */
export function signatureFromOnnx(bytes: Uint8Array, source = 'the model'): Signature {
  return describeOnnx(bytes, source).signature;
}

/** Like {@link signatureFromOnnx}, with the skipped outputs, IR version, opsets and producer. */
export function describeOnnx(bytes: Uint8Array, source = 'the model'): OnnxDescription {
  let model: OnnxModel;
  try {
    model = decodeOnnxModel(bytes);
  } catch (error) {
    throw Errors.BUNDLE_MODEL_INVALID.create(source, `it is not an ONNX protobuf (${(error as Error).message})`);
  }
  // Protobuf decoding accepts many byte strings that are not models; a real model has an IR
  // version, at least one opset and a graph with outputs.
  if (!model.irVersion || !model.graph || !model.opsetImport?.length) {
    throw Errors.BUNDLE_MODEL_INVALID.create(source, 'it is not an ONNX model (no IR version, opset or graph)');
  }
  const graph = model.graph;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs: TensorSpec[] = [];
  for (const info of graph.input ?? []) {
    if (initializers.has(info.name)) continue;
    const spec = tensorSpec(info);
    if (spec === 'not-a-tensor') {
      throw Errors.BUNDLE_MODEL_INVALID.create(source, `input '${info.name}' is not a tensor (sequences and maps cannot be sent over the inference protocols)`);
    }
    if (typeof spec === 'number') throw Errors.BUNDLE_MODEL_INVALID.create(source, `input '${info.name}' has ONNX element type ${spec}, which Berth cannot serve`);
    inputs.push(spec);
  }
  const outputs: TensorSpec[] = [];
  const skippedOutputs: string[] = [];
  for (const info of graph.output ?? []) {
    const spec = tensorSpec(info);
    if (spec === 'not-a-tensor') skippedOutputs.push(info.name);
    else if (typeof spec === 'number') throw Errors.BUNDLE_MODEL_INVALID.create(source, `output '${info.name}' has ONNX element type ${spec}, which Berth cannot serve`);
    else outputs.push(spec);
  }
  if (outputs.length === 0) throw Errors.BUNDLE_MODEL_INVALID.create(source, 'the model has no tensor outputs');
  return {
    signature: { inputs, outputs },
    skippedOutputs,
    irVersion: Number(model.irVersion),
    opsets: model.opsetImport.map((o) => ({ domain: o.domain ?? '', version: Number(o.version) })),
    producer: model.producerName || undefined,
    producerVersion: model.producerVersion || undefined,
  };
}

/** The spec of a value, 'not-a-tensor', or the element type number when it has no datatype. */
function tensorSpec(info: OnnxValueInfo): TensorSpec | 'not-a-tensor' | number {
  const tensor = info.type?.tensorType;
  if (!tensor) return 'not-a-tensor';
  const datatype = DATATYPE_OF_ELEMENT.get(tensor.elemType ?? 0);
  if (!datatype) return tensor.elemType ?? 0;
  const shape = tensor.shape;
  return {
    name: info.name,
    datatype,
    shape: shape === undefined || shape === null ? undefined : (shape.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null ? Number(d.dimValue) : -1)),
  };
}
