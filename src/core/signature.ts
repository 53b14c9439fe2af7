/**
 * A model's signature: the tensors it takes and gives, with datatype and shape (-1 for a dynamic
 * dimension; `undefined` shape for a tensor whose rank the model leaves open).
 */
import type { Datatype } from './datatypes.js';

/** One input or output tensor of a model. */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: Datatype;
  /** Dimensions, -1 where any size is accepted; undefined when even the rank is unknown. */
  readonly shape: readonly number[] | undefined;
}

/** The inputs and outputs of a model. */
export interface Signature {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

/** True when a concrete `shape` is accepted by `spec` (same rank, equal where not -1). */
export function shapeFits(spec: TensorSpec, shape: readonly number[]): boolean {
  if (spec.shape === undefined) return true;
  if (spec.shape.length !== shape.length) return false;
  for (let i = 0; i < shape.length; i++) {
    const want = spec.shape[i]!;
    if (want !== -1 && want !== shape[i]) return false;
  }
  return true;
}

/** The shape a spec advertises, as OIP metadata writes it (`[-1]` rank-free shapes included). */
export function advertisedShape(spec: TensorSpec): readonly number[] {
  return spec.shape ?? [-1];
}

/** True when the first dimension of every input and output is dynamic: the model batches. */
export function hasDynamicBatch(signature: Signature): boolean {
  const all = [...signature.inputs, ...signature.outputs];
  return all.length > 0 && all.every((t) => t.shape !== undefined && t.shape.length > 0 && t.shape[0] === -1);
}

/**
 * Bytes the outputs named will hold for a request of `rows` rows, when the signature fixes every
 * dimension but a dynamic first one (so it is known before the run); undefined when any output's
 * size depends on what the model computes, or is text.
 */
export function predictedOutputBytes(signature: Signature, names: readonly string[], rows: number, byteSize: (datatype: Datatype) => number): number | undefined {
  let bytes = 0;
  for (const name of names) {
    const spec = signature.outputs.find((o) => o.name === name);
    const size = spec === undefined ? 0 : byteSize(spec.datatype);
    if (spec?.shape === undefined || size === 0 || spec.shape.slice(1).some((d) => d < 0)) return undefined;
    bytes += spec.shape.reduce((product, d, i) => product * (i === 0 && d === -1 ? rows : d), size);
  }
  return bytes;
}
