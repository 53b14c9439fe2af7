/** Messages between the worker pool and its inference workers. */
import type { Tensor } from '../core/tensor.js';
import type { ModelSource, SessionSettings } from './session-runner.js';

/** A request to a worker. `id` pairs it with its reply. */
export type WorkerRequest =
  | { readonly op: 'load'; readonly id: number; readonly key: string; readonly source: ModelSource; readonly settings: SessionSettings }
  | {
      readonly op: 'run';
      readonly id: number;
      readonly key: string;
      readonly inputs: readonly Tensor[];
      readonly outputNames: readonly string[];
      /** Epoch ms (`performance.timeOrigin + performance.now()`) after which the worker must not start the run. */
      readonly deadline: number | undefined;
    }
  | { readonly op: 'unload'; readonly id: number; readonly key: string };

/** A worker's reply: `error` set when the operation failed. */
export interface WorkerReply {
  readonly op: WorkerRequest['op'];
  readonly id: number;
  readonly error?: string;
  readonly outputs?: Tensor[];
  readonly runMs?: number;
  /** Set when the run was past its deadline as the worker picked it up, so it was not run. */
  readonly expired?: true;
}

/**
 * The buffers of tensors that can be transferred rather than copied: each typed array that owns
 * its whole buffer. A view into a larger buffer is copied instead (transferring would detach
 * memory that other code still uses).
 */
export function transferablesOf(tensors: readonly Tensor[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const t of tensors) {
    const data = t.data;
    if (Array.isArray(data)) continue;
    const buffer = data.buffer;
    if (buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === buffer.byteLength) buffers.add(buffer);
  }
  return [...buffers];
}
