/**
 * The adaptive batcher and bounded queue in front of one runtime.
 *
 * Requests wait in a bounded queue; whenever an executor is free it takes the oldest request plus
 * every queued request that can be stacked with it (same outputs, same non-batch dimensions, up
 * to `maxBatchSize` rows) and runs them as one batch. At low load a lone request finds a free
 * executor and runs at once; under load requests pile up while executors are busy and leave in
 * batches. `maxWaitMs > 0` additionally holds a batch back for up to that long to fill it.
 *
 * The queue is bounded (`maxQueue` requests): past it, submit fails at once with
 * BERTH_QUEUE_FULL. A request still queued after `timeoutMs` fails with BERTH_QUEUE_TIMEOUT, and
 * that deadline goes with its batch to the runner (the worker pool drops a run still waiting past
 * it). If a stacked batch fails, its requests are retried one by one so a bad request fails alone;
 * a batch refused for overload or dropped past its deadline fails as a whole.
 */
import { datatypeInfo, type TensorData } from '../core/datatypes.js';
import { BerthError, Errors } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';

/** Batching and queueing settings of one model. */
export interface BatchingSettings {
  /** Largest number of rows in one run; 1 disables stacking. */
  readonly maxBatchSize: number;
  /** Longest time a batch is held back to fill up, in ms; 0 never holds one back. */
  readonly maxWaitMs: number;
  /** Most requests waiting; more are refused. */
  readonly maxQueue: number;
  /** Longest time a request may wait in the queue, in ms. */
  readonly timeoutMs: number;
}

/** Observations for metrics. */
export interface BatcherObserver {
  batch?(rows: number, requests: number): void;
  queueWait?(ms: number): void;
  queueDepth?(depth: number): void;
  /** A request refused: its model's queue full, past its deadline, or the shared worker pool full. */
  rejected?(reason: 'queue_full' | 'timeout' | 'overloaded'): void;
  /** The runtime that owns the batcher was released: nothing more will be observed. */
  closed?(): void;
}

/**
 * Runs one (possibly stacked) set of inputs. `deadline` (epoch ms, `performance.timeOrigin +
 * performance.now()`) is the latest deadline of the batch's requests: past it nobody waits for the
 * run any more.
 */
export type BatchRunner = (inputs: readonly Tensor[], outputNames: readonly string[], deadline: number) => Promise<Tensor[]>;

/** Options for {@link Batcher}. */
export interface BatcherOptions {
  readonly settings: BatchingSettings;
  /** Batches that may run at once (the executors available to this model). */
  readonly concurrency: number;
  /** Whether the model's first dimension is a batch dimension on every input and output. */
  readonly stackable: boolean;
  readonly observer?: BatcherObserver;
  /** Identifies the model in error messages. */
  readonly model: string;
}

interface Job {
  readonly inputs: readonly Tensor[];
  readonly outputNames: readonly string[];
  /** Rows along the batch dimension, or undefined when the job cannot be stacked. */
  readonly rows: number | undefined;
  readonly key: string;
  readonly enqueuedAt: number;
  resolve(outputs: Tensor[]): void;
  reject(error: unknown): void;
}

/** Queue, batch and run requests for one runtime. */
export class Batcher {
  readonly #queue: Job[] = [];
  readonly #run: BatchRunner;
  readonly #options: BatcherOptions;
  #running = 0;
  #holdTimer: NodeJS.Timeout | undefined;
  #expiryTimer: NodeJS.Timeout | undefined;

  constructor(run: BatchRunner, options: BatcherOptions) {
    this.#run = run;
    this.#options = options;
  }

  /** Requests waiting now. */
  get depth(): number {
    return this.#queue.length;
  }

  /** Queues a request and resolves with its own outputs. */
  submit(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]> {
    const { settings, observer } = this.#options;
    if (this.#queue.length >= settings.maxQueue) {
      observer?.rejected?.('queue_full');
      return Promise.reject(Errors.QUEUE_FULL.create(this.#options.model, settings.maxQueue));
    }
    return new Promise<Tensor[]>((resolve, reject) => {
      const rows = this.#options.stackable ? batchRows(inputs) : undefined;
      this.#queue.push({ inputs, outputNames, rows, key: rows === undefined ? '' : stackKey(inputs, outputNames), enqueuedAt: performance.now(), resolve, reject });
      observer?.queueDepth?.(this.#queue.length);
      this.#pump();
    });
  }

  #pump(): void {
    const { settings } = this.#options;
    this.#expire();
    while (this.#running < this.#options.concurrency && this.#queue.length > 0) {
      const batch = this.#takeBatch();
      if (!batch) break;
      this.#running++;
      void this.#execute(batch).finally(() => {
        this.#running--;
        this.#pump();
      });
    }
    if (this.#queue.length > 0 && this.#expiryTimer === undefined) {
      this.#expiryTimer = setTimeout(() => {
        this.#expiryTimer = undefined;
        this.#pump();
      }, Math.max(1, settings.timeoutMs / 4));
      this.#expiryTimer.unref();
    }
  }

  /** Fails queued requests past their deadline. */
  #expire(): void {
    const { settings, observer } = this.#options;
    const now = performance.now();
    for (let i = 0; i < this.#queue.length; ) {
      const job = this.#queue[i]!;
      if (now - job.enqueuedAt > settings.timeoutMs) {
        this.#queue.splice(i, 1);
        observer?.rejected?.('timeout');
        job.reject(Errors.QUEUE_TIMEOUT.create(this.#options.model, settings.timeoutMs));
      } else i++;
    }
  }

  /** Takes the next batch off the queue, or undefined to wait for more (maxWaitMs). */
  #takeBatch(): Job[] | undefined {
    const { settings, observer } = this.#options;
    const first = this.#queue[0]!;
    if (first.rows === undefined || settings.maxBatchSize <= 1) {
      this.#queue.shift();
      return [first];
    }
    const batch: Job[] = [first];
    let rows = first.rows;
    for (let i = 1; i < this.#queue.length && rows < settings.maxBatchSize; i++) {
      const job = this.#queue[i]!;
      if (job.rows !== undefined && job.key === first.key && rows + job.rows <= settings.maxBatchSize) {
        batch.push(job);
        rows += job.rows;
      }
    }
    const waited = performance.now() - first.enqueuedAt;
    if (rows < settings.maxBatchSize && settings.maxWaitMs > 0 && waited < settings.maxWaitMs) {
      if (this.#holdTimer === undefined) {
        this.#holdTimer = setTimeout(() => {
          this.#holdTimer = undefined;
          this.#pump();
        }, settings.maxWaitMs - waited);
      }
      return undefined;
    }
    const taken = new Set(batch);
    for (let i = this.#queue.length - 1; i >= 0; i--) if (taken.has(this.#queue[i]!)) this.#queue.splice(i, 1);
    observer?.queueDepth?.(this.#queue.length);
    return batch;
  }

  /** When a request stops waiting, as epoch ms (the clock worker threads share). */
  #deadline(job: Job): number {
    return performance.timeOrigin + job.enqueuedAt + this.#options.settings.timeoutMs;
  }

  async #execute(batch: Job[]): Promise<void> {
    const { observer } = this.#options;
    const started = performance.now();
    for (const job of batch) observer?.queueWait?.(started - job.enqueuedAt);
    const rows = batch.reduce((n, j) => n + (j.rows ?? 1), 0);
    observer?.batch?.(rows, batch.length);
    if (batch.length === 1) {
      const job = batch[0]!;
      await this.#run(job.inputs, job.outputNames, this.#deadline(job)).then(job.resolve, job.reject);
      return;
    }
    let deadline = 0;
    for (const job of batch) deadline = Math.max(deadline, this.#deadline(job));
    let outputs: Tensor[];
    try {
      outputs = await this.#run(stack(batch), batch[0]!.outputNames, deadline);
    } catch (error) {
      // Refused for overload or dropped past its deadline: alone, its requests would be too.
      if (error instanceof BerthError && error.httpStatus === 503) {
        for (const job of batch) job.reject(error);
        return;
      }
      // One request's values may have broken the whole batch: run each alone so only it fails.
      for (const job of batch) await this.#run(job.inputs, job.outputNames, this.#deadline(job)).then(job.resolve, job.reject);
      return;
    }
    if (!outputs.every((o) => o.shape[0] === rows)) {
      // The model does not keep rows apart (an output is not per row): batching cannot apply.
      for (const job of batch) await this.#run(job.inputs, job.outputNames, this.#deadline(job)).then(job.resolve, job.reject);
      return;
    }
    let offset = 0;
    for (const job of batch) {
      const jobRows = job.rows!;
      job.resolve(outputs.map((o) => sliceRows(o, offset, jobRows)));
      offset += jobRows;
    }
  }
}

/** The batch dimension shared by every input, or undefined if they disagree. */
function batchRows(inputs: readonly Tensor[]): number | undefined {
  const rows = inputs[0]?.shape[0];
  if (rows === undefined || rows === 0) return undefined;
  return inputs.every((t) => t.shape[0] === rows) ? rows : undefined;
}

/** Requests stack when they ask for the same outputs and agree on every non-batch dimension. */
function stackKey(inputs: readonly Tensor[], outputNames: readonly string[]): string {
  return `${outputNames.join('\u0000')}|${inputs.map((t) => `${t.name}:${t.shape.slice(1).join('x')}`).join('|')}`;
}

function stack(batch: readonly Job[]): Tensor[] {
  const rows = batch.reduce((n, j) => n + j.rows!, 0);
  return batch[0]!.inputs.map((template, index) => {
    const rest = template.shape.slice(1);
    const shape = [rows, ...rest];
    if (template.datatype === 'BYTES') {
      return { name: template.name, datatype: template.datatype, shape, data: batch.flatMap((j) => j.inputs[index]!.data as string[]) };
    }
    const perRow = rest.reduce((a, b) => a * b, 1);
    const data = datatypeInfo(template.datatype).allocate(rows * perRow) as Exclude<TensorData, string[]>;
    let offset = 0;
    for (const job of batch) {
      const part = job.inputs[index]!.data as typeof data;
      (data as Float32Array).set(part as Float32Array, offset);
      offset += part.length;
    }
    return { name: template.name, datatype: template.datatype, shape, data };
  });
}

function sliceRows(tensor: Tensor, start: number, rows: number): Tensor {
  const perRow = tensor.shape.slice(1).reduce((a, b) => a * b, 1);
  const from = start * perRow;
  const to = from + rows * perRow;
  const data = Array.isArray(tensor.data) ? tensor.data.slice(from, to) : tensor.data.subarray(from, to);
  return { name: tensor.name, datatype: tensor.datatype, shape: [rows, ...tensor.shape.slice(1)], data };
}
