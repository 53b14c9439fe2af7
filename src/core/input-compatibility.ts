/**
 * Whether two versions of a model take the same requests: the same tensor inputs by name and
 * datatype (shapes may differ in their dynamic dimensions). A deployment's versions and a
 * rollout's challenger must, because callers keep sending what the model took before. This module
 * is the one owner of that rule; the deployment writer and rollouts call it.
 */
import type { Signature } from './signature.js';

/** A signature's inputs by name and datatype, sorted, as people read them: `(x: FP32, y: INT64)`. */
export function describeInputs(signature: Pick<Signature, 'inputs'>): string {
  return `(${signature.inputs.map((i) => `${i.name}: ${i.datatype}`).sort().join(', ')})`;
}

/**
 * Null when `candidate` takes the inputs `current` takes; otherwise both descriptions, for a
 * message that says what differs.
 *
 * @example
 *   const mismatch = inputMismatch(champion.signature, challenger.signature);
 *   if (mismatch) throw Errors.X.create(`it takes ${mismatch.candidate}, production takes ${mismatch.current}`);
 */
export function inputMismatch(current: Pick<Signature, 'inputs'>, candidate: Pick<Signature, 'inputs'>): { readonly current: string; readonly candidate: string } | null {
  const [want, take] = [describeInputs(current), describeInputs(candidate)];
  return want === take ? null : { current: want, candidate: take };
}
