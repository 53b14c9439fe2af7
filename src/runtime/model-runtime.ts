/** The interface every executable form of a model version implements. */
import type { Signature } from '../core/signature.js';
import type { Tensor } from '../core/tensor.js';

/**
 * A loaded model that runs on tensors. Its serving lifecycle (warming, draining, refusing requests
 * after release) belongs to the {@link LoadedVersion} that owns it (loaded-version.ts).
 */
export interface ModelRuntime {
  readonly signature: Signature;
  /** onnxruntime sessions it holds now, for the memory estimate (memory-budget.ts); unknown when absent. */
  readonly sessions?: number;
  /** Runs the model; inputs must already match the signature. Input buffers may be transferred. */
  run(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]>;
  /** Frees the model once no run is in flight; runs after it fail. Idempotent. */
  release(): Promise<void>;
}
