/**
 * signatureFromOnnx against onnxruntime itself: for every real model in the backend conformance
 * fixtures, the signature read from the protobuf must name the same inputs and outputs, with the
 * same datatypes and shapes, as the session onnxruntime builds from the same file.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { datatypeFromOrt } from '../../src/core/datatypes.js';
import { Errors } from '../../src/core/errors.js';
import { floatTensor, node, onnxModel, tensorValueInfo } from '../../src/core/onnx-model-builder.js';
import { OnnxElementType, encodeOnnxModel } from '../../src/core/onnx-proto.js';
import { describeOnnx, signatureFromOnnx } from '../../src/core/signature-from-onnx.js';
import { fixtureCases, hasStringNormalizerLocale, needsLocale } from '../helpers/fixtures.js';

describe('signatureFromOnnx', () => {
  it('agrees with onnxruntime on every backend fixture', async () => {
    let compared = 0;
    // Without the en_US.UTF-8 locale the StringNormalizer cases cannot load (onnx-backend.test.ts lists them as skipped).
    const withLocale = await hasStringNormalizerLocale();
    const unloadable = withLocale ? 0 : fixtureCases().filter(needsLocale).length;
    for (const fixture of fixtureCases().filter((c) => withLocale || !needsLocale(c))) {
      let session: ort.InferenceSession;
      try {
        session = await ort.InferenceSession.create(fixture.model, { logSeverityLevel: 3 });
      } catch {
        continue; // a model this onnxruntime cannot load says nothing about the protobuf reader
      }
      try {
        const { signature, skippedOutputs } = describeOnnx(readFileSync(fixture.model), fixture.model);
        const fromOrt = (metas: readonly ort.InferenceSession.ValueMetadata[]) =>
          metas
            .filter((m) => m.isTensor)
            .map((m) => ({
              name: m.name,
              datatype: datatypeFromOrt(m.type),
              shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)),
            }));
        const ortInputs = fromOrt(session.inputMetadata);
        const ortOutputs = fromOrt(session.outputMetadata);
        expect(signature.inputs.map((t) => t.name), fixture.name).toEqual(ortInputs.map((t) => t.name));
        expect(signature.outputs.map((t) => t.name), fixture.name).toEqual(ortOutputs.map((t) => t.name));
        expect(skippedOutputs, fixture.name).toEqual(session.outputMetadata.filter((m) => !m.isTensor).map((m) => m.name));
        for (const [ours, theirs] of [...signature.inputs.map((t, i) => [t, ortInputs[i]!] as const), ...signature.outputs.map((t, i) => [t, ortOutputs[i]!] as const)]) {
          expect(ours.datatype, `${fixture.name} ${ours.name}`).toBe(theirs.datatype);
          // onnxruntime reports [] both for scalars and for tensors of unknown rank; only the file tells.
          if (theirs.shape.length > 0) expect(ours.shape, `${fixture.name} ${ours.name}`).toEqual(theirs.shape);
        }
        compared++;
      } finally {
        await session.release();
      }
    }
    expect(compared).toBeGreaterThan(100 - unloadable);
  }, 120_000);

  it('leaves initializers listed as graph inputs out, and writes symbolic dimensions as -1', () => {
    const model = onnxModel({
      nodes: [node('Add', ['x', 'bias'], ['y'])],
      inputs: [tensorValueInfo('x', OnnxElementType.FLOAT, ['batch', 2]), tensorValueInfo('bias', OnnxElementType.FLOAT, [2])],
      outputs: [tensorValueInfo('y', OnnxElementType.FLOAT, [null, 2])],
      initializers: [floatTensor('bias', [2], [1, 2])],
    });
    expect(signatureFromOnnx(encodeOnnxModel(model))).toEqual({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }],
    });
  });

  it('refuses bytes that are not an ONNX model with BERTH_BUNDLE_MODEL_INVALID naming the source', () => {
    for (const bytes of [Buffer.from('definitely not a protobuf \u0000\u00ff'), Buffer.alloc(0), Buffer.from('{"json": true}')]) {
      expect(() => signatureFromOnnx(bytes, 'upload.onnx')).toThrow(expect.objectContaining({ code: Errors.BUNDLE_MODEL_INVALID.code }));
      try {
        signatureFromOnnx(bytes, 'upload.onnx');
      } catch (error) {
        expect((error as Error).message).toContain('upload.onnx');
      }
    }
  });

  it('refuses a model whose input is not a tensor', () => {
    const model = onnxModel({
      nodes: [node('SequenceLength', ['s'], ['n'])],
      inputs: [{ name: 's', type: { sequenceType: { elemType: { tensorType: { elemType: OnnxElementType.FLOAT, shape: { dim: [] } } } } } }],
      outputs: [tensorValueInfo('n', OnnxElementType.INT64, [])],
    });
    expect(() => signatureFromOnnx(encodeOnnxModel(model))).toThrow(/input 's' is not a tensor/);
  });
});
