/** The interface every executable form of a model version implements. */
import type { Signature } from '../core/signature.js';
import type { Tensor } from '../core/tensor.js';

/**
 * Lifecycle of a runtime: `loading` → `ready` → `draining` (no new runs; runs in flight finish)
 * → `released`. Runs are accepted only while `ready`.
 */
export type RuntimeState = 'loading' | 'ready' | 'draining' | 'released';

/** A loaded model that runs on tensors. */
export interface ModelRuntime {
  readonly signature: Signature;
  readonly state: RuntimeState;
  /** Runs the model; inputs must already match the signature. Input buffers may be transferred. */
  run(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]>;
  /** Stops new runs, waits for those in flight, then frees the model. Idempotent. */
  release(): Promise<void>;
}
