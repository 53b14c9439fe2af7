/**
 * The models the conformance suite infers with: `y = Identity(x)` of shape [-1, 3] for every Open
 * Inference Protocol datatype (`conformance_fp32`, …), and `conformance_pair` (two FP32 inputs
 * `a`, `b` of shape [-1, 2]; outputs `sum` and `product`). Tiny ONNX files any ONNX-serving OIP
 * server can load; `berth conformance --write-models <dir>` writes them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DATATYPES, type Datatype } from '../core/datatypes.js';
import { node, onnxModel, tensorValueInfo } from '../core/onnx-model-builder.js';
import { OnnxElementType, encodeOnnxModel } from '../core/onnx-proto.js';

/** ONNX element type of each OIP datatype. */
const ELEMENT_TYPES: Readonly<Record<Datatype, number>> = {
  BOOL: OnnxElementType.BOOL,
  UINT8: OnnxElementType.UINT8,
  UINT16: OnnxElementType.UINT16,
  UINT32: OnnxElementType.UINT32,
  UINT64: OnnxElementType.UINT64,
  INT8: OnnxElementType.INT8,
  INT16: OnnxElementType.INT16,
  INT32: OnnxElementType.INT32,
  INT64: OnnxElementType.INT64,
  FP16: OnnxElementType.FLOAT16,
  FP32: OnnxElementType.FLOAT,
  FP64: OnnxElementType.DOUBLE,
  BYTES: OnnxElementType.STRING,
};

/** The name of the identity model of `datatype`. */
export function identityModelName(datatype: Datatype): string {
  return `conformance_${datatype.toLowerCase()}`;
}

/** The name of the two-input, two-output model. */
export const PAIR_MODEL = 'conformance_pair';

/** `y = Identity(x)` for a datatype, shape [batch, 3] (batch dynamic), as ONNX bytes. */
export function identityModel(datatype: Datatype): Uint8Array {
  const elem = ELEMENT_TYPES[datatype];
  return encodeOnnxModel(
    onnxModel({
      nodes: [node('Identity', ['x'], ['y'])],
      inputs: [tensorValueInfo('x', elem, ['batch', 3])],
      outputs: [tensorValueInfo('y', elem, ['batch', 3])],
    }),
  );
}

/** sum = a + b, product = a * b, FP32 [batch, 2], as ONNX bytes. */
export function pairModel(): Uint8Array {
  return encodeOnnxModel(
    onnxModel({
      nodes: [node('Add', ['a', 'b'], ['sum']), node('Mul', ['a', 'b'], ['product'])],
      inputs: [tensorValueInfo('a', OnnxElementType.FLOAT, ['batch', 2]), tensorValueInfo('b', OnnxElementType.FLOAT, ['batch', 2])],
      outputs: [tensorValueInfo('sum', OnnxElementType.FLOAT, ['batch', 2]), tensorValueInfo('product', OnnxElementType.FLOAT, ['batch', 2])],
    }),
  );
}

/** Every conformance model, by name. */
export function conformanceModels(): { readonly name: string; readonly onnx: Uint8Array }[] {
  return [...DATATYPES.map((dt) => ({ name: identityModelName(dt), onnx: identityModel(dt) })), { name: PAIR_MODEL, onnx: pairModel() }];
}

/**
 * Writes every conformance model into `dir`: as `<name>.onnx` files (`berth serve name=file ...`),
 * or, with `layout: 'repository'`, as a Triton / KServe model repository (`<name>/1/model.onnx`).
 * Returns each model's name and file.
 */
export async function writeConformanceModels(dir: string, layout: 'files' | 'repository' = 'files'): Promise<{ name: string; path: string }[]> {
  const written: { name: string; path: string }[] = [];
  for (const { name, onnx } of conformanceModels()) {
    const folder = layout === 'files' ? dir : join(dir, name, '1');
    await mkdir(folder, { recursive: true });
    const path = join(folder, layout === 'files' ? `${name}.onnx` : 'model.onnx');
    await writeFile(path, onnx);
    written.push({ name, path });
  }
  return written;
}
