/** Small real ONNX models built for tests, written to a temporary directory. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identityModel, pairModel } from '../../src/conformance/conformance-models.js';
import type { Datatype } from '../../src/core/datatypes.js';
import { attribute, floatTensor, node, onnxModel, tensorValueInfo } from '../../src/core/onnx-model-builder.js';
import { OnnxElementType, encodeOnnxModel } from '../../src/core/onnx-proto.js';

/** A fresh temporary directory for one test file. */
export function tempDir(prefix = 'berth-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** ONNX element type of each OIP datatype. */
export const ELEMENT_TYPES: Record<string, number> = {
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

/** `y = Identity(x)` for a datatype, with shape [batch, 3] (batch dynamic): the conformance suite's model. */
export function writeIdentityModel(dir: string, datatype: string): string {
  const path = join(dir, `identity_${datatype.toLowerCase()}.onnx`);
  writeFileSync(path, identityModel(datatype as Datatype));
  return path;
}

/** `y = Relu(x)`, FP32 with shape [batch, 3]: the identity's inputs, another model. */
export function writeReluModel(dir: string): string {
  const path = join(dir, 'relu_fp32.onnx');
  const model = onnxModel({
    nodes: [node('Relu', ['x'], ['y'])],
    inputs: [tensorValueInfo('x', OnnxElementType.FLOAT, ['batch', 3])],
    outputs: [tensorValueInfo('y', OnnxElementType.FLOAT, ['batch', 3])],
  });
  writeFileSync(path, encodeOnnxModel(model));
  return path;
}

/**
 * A compute-heavy model: `y = (x·W)·W` with W a width x width matrix; x is [batch, width].
 * At width 1024 one row costs about 2 MFLOP, so a batch of a few hundred rows runs for tens of
 * milliseconds: long enough to observe the event loop staying free.
 */
export function writeHeavyModel(dir: string, width = 1024): string {
  const path = join(dir, `heavy_${width}.onnx`);
  const weights = new Float32Array(width * width);
  for (let i = 0; i < weights.length; i++) weights[i] = ((i * 7919) % 1000) / 1000 / width;
  const model = onnxModel({
    nodes: [node('MatMul', ['x', 'w'], ['h']), node('MatMul', ['h', 'w'], ['y'])],
    inputs: [tensorValueInfo('x', OnnxElementType.FLOAT, ['batch', width])],
    outputs: [tensorValueInfo('y', OnnxElementType.FLOAT, ['batch', width])],
    initializers: [floatTensor('w', [width, width], weights)],
  });
  writeFileSync(path, encodeOnnxModel(model));
  return path;
}

/** A two-input, two-output model: sum = a + b, product = a * b, FP32 [batch, 2] (the conformance suite's pair). */
export function writeTwoInOutModel(dir: string): string {
  const path = join(dir, 'two_in_out.onnx');
  writeFileSync(path, pairModel());
  return path;
}

/** `y = x·W` with W a [1, width] matrix of ones: x is [batch, 1], y is [batch, width] (a small request, a large answer). */
export function writeWidenModel(dir: string, width = 4096): string {
  const path = join(dir, `widen_${width}.onnx`);
  const model = onnxModel({
    nodes: [node('MatMul', ['x', 'w'], ['y'])],
    inputs: [tensorValueInfo('x', OnnxElementType.FLOAT, ['batch', 1])],
    outputs: [tensorValueInfo('y', OnnxElementType.FLOAT, ['batch', width])],
    initializers: [floatTensor('w', [1, width], new Float32Array(width).fill(1))],
  });
  writeFileSync(path, encodeOnnxModel(model));
  return path;
}

/** `y = x + shift` on FP32 [batch, 3]: the same signature as the FP32 identity, different bytes for each shift. */
export function writeShiftModel(dir: string, shift: number): string {
  const path = join(dir, `shift_${shift}.onnx`);
  const model = onnxModel({
    nodes: [node('Add', ['x', 'shift'], ['y'])],
    inputs: [tensorValueInfo('x', OnnxElementType.FLOAT, ['batch', 3])],
    outputs: [tensorValueInfo('y', OnnxElementType.FLOAT, ['batch', 3])],
    initializers: [floatTensor('shift', [1], [shift])],
  });
  writeFileSync(path, encodeOnnxModel(model));
  return path;
}

/**
 * A classifier with INT64 outputs, as skl2onnx converts scikit-learn's: `label = ArgMax(x, axis 1)`
 * of FP32 `x` [batch, 3], INT64 [batch]; and `key = Identity(id)` passing an INT64 `id` [batch] through.
 */
export function writeInt64LabelModel(dir: string): string {
  const path = join(dir, 'int64_label.onnx');
  const model = onnxModel({
    nodes: [node('ArgMax', ['x'], ['label'], [attribute('axis', 1, 'int'), attribute('keepdims', 0, 'int')]), node('Identity', ['id'], ['key'])],
    inputs: [tensorValueInfo('x', OnnxElementType.FLOAT, ['batch', 3]), tensorValueInfo('id', OnnxElementType.INT64, ['batch'])],
    outputs: [tensorValueInfo('label', OnnxElementType.INT64, ['batch']), tensorValueInfo('key', OnnxElementType.INT64, ['batch'])],
  });
  writeFileSync(path, encodeOnnxModel(model));
  return path;
}
