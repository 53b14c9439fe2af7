/**
 * A pool of inference worker threads. Every worker holds a session of every loaded model, so any
 * idle worker can take any request; a request goes to the worker with the fewest in flight.
 * A worker that dies is replaced and its models reloaded; its requests in flight fail with the
 * reason.
 *
 * The pool admits at most `maxPendingRuns` runs at once (running, or queued in a worker's message
 * queue), whatever model they belong to: past it `run` fails at once with
 * BERTH_SERVER_OVERLOADED. A run carries its deadline into the worker, which drops it unrun when
 * the deadline has passed by the time the worker picks it up.
 */
import { Worker } from 'node:worker_threads';
import { Errors } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import type { ModelSource, SessionSettings } from './session-runner.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';
import { transferablesOf } from './worker-protocol.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface Pending {
  resolve(reply: WorkerReply): void;
  reject(error: Error): void;
}

class PoolWorker {
  readonly pending = new Map<number, Pending>();
  inFlight = 0;
  constructor(readonly thread: Worker) {}
}

/** Result of one run in a worker. */
export interface WorkerRunResult {
  readonly outputs: Tensor[];
  /** Time onnxruntime spent in the run, in ms, measured in the worker. */
  readonly runMs: number;
  /** True when the worker picked the run up past its deadline and did not run it (`outputs` is empty). */
  readonly expired: boolean;
}

/** Options for {@link WorkerPool}. */
export interface WorkerPoolOptions {
  readonly size: number;
  /** Most runs admitted at once across every worker; default {@link DEFAULT_RUNS_PER_WORKER} per worker. */
  readonly maxPendingRuns?: number;
  /** Called when a worker dies unexpectedly (it is replaced). */
  readonly onWorkerError?: (error: Error) => void;
}

/** Runs admitted per worker thread when no bound is given: one running and a few waiting. */
export const DEFAULT_RUNS_PER_WORKER = 8;

/** Inference worker threads shared by all models of a server. */
export class WorkerPool {
  readonly #workers: PoolWorker[] = [];
  readonly #maxPendingRuns: number;
  #pendingRuns = 0;
  readonly #loaded = new Map<string, { source: ModelSource; settings: SessionSettings }>();
  readonly #onWorkerError: ((error: Error) => void) | undefined;
  #nextId = 1;
  #closed = false;

  constructor(options: WorkerPoolOptions) {
    if (options.size < 1) throw new Error('a worker pool needs at least one worker');
    this.#maxPendingRuns = options.maxPendingRuns || options.size * DEFAULT_RUNS_PER_WORKER;
    this.#onWorkerError = options.onWorkerError;
    for (let i = 0; i < options.size; i++) this.#workers.push(this.#spawn());
  }

  /** Number of worker threads. */
  get size(): number {
    return this.#workers.length;
  }

  /** Runs admitted now (running or waiting in a worker). */
  get pendingRuns(): number {
    return this.#pendingRuns;
  }

  /** Number of models loaded in the workers. */
  get loadedCount(): number {
    return this.#loaded.size;
  }

  /** Loads a model under `key` in every worker; on any failure it is unloaded everywhere. */
  async load(key: string, source: ModelSource, settings: SessionSettings): Promise<void> {
    this.#assertOpen();
    const results = await Promise.allSettled(this.#workers.map((w) => this.#send(w, { op: 'load', key, source, settings })));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      await this.unload(key);
      throw failure.reason as Error;
    }
    this.#loaded.set(key, { source, settings });
  }

  /** Releases a model's sessions in every worker. */
  async unload(key: string): Promise<void> {
    this.#loaded.delete(key);
    if (this.#closed) return;
    await Promise.allSettled(this.#workers.map((w) => this.#send(w, { op: 'unload', key })));
  }

  /**
   * Runs a loaded model on the least busy worker. Input buffers are transferred, not copied.
   * `deadline` (epoch ms, `performance.timeOrigin + performance.now()`) is when the worker may no
   * longer start it: such a run resolves with `expired` set. Throws BERTH_SERVER_OVERLOADED when
   * `maxPendingRuns` runs are admitted already.
   */
  async run(key: string, inputs: readonly Tensor[], outputNames: readonly string[], deadline?: number): Promise<WorkerRunResult> {
    this.#assertOpen();
    if (this.#pendingRuns >= this.#maxPendingRuns) throw Errors.SERVER_OVERLOADED.create(this.#maxPendingRuns);
    let worker = this.#workers[0]!;
    for (const w of this.#workers) if (w.inFlight < worker.inFlight) worker = w;
    this.#pendingRuns++;
    try {
      const reply = await this.#send(worker, { op: 'run', key, inputs, outputNames, deadline }, transferablesOf(inputs));
      return { outputs: reply.outputs ?? [], runMs: reply.runMs ?? 0, expired: reply.expired === true };
    } finally {
      this.#pendingRuns--;
    }
  }

  /** Stops every worker. Requests in flight fail. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#workers.map((w) => w.thread.terminate()));
  }

  #assertOpen(): void {
    if (this.#closed) throw Errors.SERVER_SHUTTING_DOWN.create();
  }

  #send(worker: PoolWorker, request: DistributiveOmit<WorkerRequest, 'id'>, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    const id = this.#nextId++;
    worker.inFlight++;
    return new Promise<WorkerReply>((resolve, reject) => {
      worker.pending.set(id, {
        resolve: (reply) => {
          worker.inFlight--;
          if (reply.error !== undefined) reject(new Error(reply.error));
          else resolve(reply);
        },
        reject: (error) => {
          worker.inFlight--;
          reject(error);
        },
      });
      worker.thread.postMessage({ ...request, id } as WorkerRequest, transfer);
    });
  }

  #spawn(): PoolWorker {
    const thread = new Worker(new URL('./inference-worker.js', import.meta.url));
    const worker = new PoolWorker(thread);
    thread.on('message', (reply: WorkerReply) => {
      const pending = worker.pending.get(reply.id);
      if (!pending) return;
      worker.pending.delete(reply.id);
      pending.resolve(reply);
    });
    const fail = (error: Error): void => {
      if (this.#closed) return;
      const index = this.#workers.indexOf(worker);
      if (index === -1) return;
      for (const pending of worker.pending.values()) pending.reject(new Error(`the inference worker stopped: ${error.message}`));
      worker.pending.clear();
      this.#onWorkerError?.(error);
      const replacement = this.#spawn();
      this.#workers[index] = replacement;
      for (const [key, { source, settings }] of this.#loaded) {
        this.#send(replacement, { op: 'load', key, source, settings }).catch((e: unknown) => this.#onWorkerError?.(e as Error));
      }
    };
    thread.on('error', fail);
    thread.on('exit', (code) => fail(new Error(`worker exited with code ${code}`)));
    return worker;
  }
}
