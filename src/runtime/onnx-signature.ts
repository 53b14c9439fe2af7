/**
 * Reads a model's signature from an onnxruntime session, falling back to the ONNX file itself
 * where onnxruntime's metadata is ambiguous.
 */
import { readFileSync } from 'node:fs';
import type { InferenceSession } from 'onnxruntime-node';
import { type Datatype, datatypeFromOrt } from '../core/datatypes.js';
import { decodeOnnxModel } from '../core/onnx-proto.js';
import type { Signature, TensorSpec } from '../core/signature.js';
import type { ModelSource } from './session-runner.js';

/** A problem that makes a model unservable, with the reason in words. */
export class UnservableModelError extends Error {}

/**
 * The signature of a loaded session. Inputs that are not tensors make the model unservable;
 * outputs that are not tensors (sequences, maps) are left out and reported in `skippedOutputs`.
 */
export function signatureFromSession(
  session: InferenceSession,
  source: ModelSource,
): { signature: Signature; skippedOutputs: string[] } {
  // onnxruntime reports both a scalar and a shape-less tensor as []; only the file can tell them
  // apart, so it is parsed (once) only when such a tensor appears.
  let declared: Map<string, readonly number[] | undefined> | undefined;
  const declaredShape = (name: string): readonly number[] | undefined => {
    declared ??= declaredShapes(source);
    return declared.get(name);
  };

  const toSpec = (meta: InferenceSession.ValueMetadata, role: string): TensorSpec | undefined => {
    if (!meta.isTensor) return undefined;
    const datatype: Datatype | undefined = datatypeFromOrt(meta.type);
    if (!datatype) throw new UnservableModelError(`${role} '${meta.name}' has element type ${meta.type}, which Berth cannot serve`);
    const shape = meta.shape.length === 0 ? declaredShape(meta.name) : meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1));
    return { name: meta.name, datatype, shape };
  };

  const inputs: TensorSpec[] = [];
  for (const meta of session.inputMetadata) {
    const spec = toSpec(meta, 'input');
    if (!spec) throw new UnservableModelError(`input '${meta.name}' is not a tensor (sequences and maps cannot be sent over the inference protocols)`);
    inputs.push(spec);
  }
  const outputs: TensorSpec[] = [];
  const skippedOutputs: string[] = [];
  for (const meta of session.outputMetadata) {
    const spec = toSpec(meta, 'output');
    if (spec) outputs.push(spec);
    else skippedOutputs.push(meta.name);
  }
  if (outputs.length === 0) throw new UnservableModelError('the model has no tensor outputs');
  return { signature: { inputs, outputs }, skippedOutputs };
}

function declaredShapes(source: ModelSource): Map<string, readonly number[] | undefined> {
  const graph = decodeOnnxModel(typeof source === 'string' ? readFileSync(source) : source).graph;
  const shapes = new Map<string, readonly number[] | undefined>();
  for (const info of [...(graph.input ?? []), ...(graph.output ?? [])]) {
    const shape = info.type?.tensorType?.shape;
    shapes.set(
      info.name,
      shape === undefined || shape === null ? undefined : (shape.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null ? Number(d.dimValue) : -1)),
    );
  }
  return shapes;
}
