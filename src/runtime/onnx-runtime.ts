/**
 * An ONNX model loaded into the worker pool (and, for tiny models, also on the main thread).
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type ort from 'onnxruntime-node';
import { Errors } from '../core/errors.js';
import { hasDynamicBatch, type Signature } from '../core/signature.js';
import type { Tensor } from '../core/tensor.js';
import { Batcher, type BatcherObserver, type BatchingSettings } from './batcher.js';
import { inputElements, measureRunCost, predictRunUs, type RunCost } from './run-cost.js';
import type { ModelRuntime } from './model-runtime.js';
import { signatureFromSession } from './onnx-signature.js';
import { type CompatibleModel, makeCompatible } from './onnx-compat.js';
import { type ModelSource, type SessionSettings, createSession, runSession } from './session-runner.js';
import type { WorkerPool, WorkerRunResult } from './worker-pool.js';

/** Where requests of a model run; see the `runtime.execution` setting. */
export type ExecutionMode = 'auto' | 'worker' | 'inline';

/** Options for {@link OnnxRuntime.load}. */
export interface OnnxRuntimeOptions {
  readonly pool: WorkerPool;
  /** Unique key of this runtime in the pool (a model may be loaded in several versions). */
  readonly key: string;
  readonly intraOpThreads: number;
  /** onnxruntime's CPU memory arena on (default) or off: see SessionSettings.memoryArena. */
  readonly memoryArena?: boolean;
  readonly execution: ExecutionMode;
  /** Largest predicted run time, in µs, that `auto` runs on the main thread. */
  readonly inlineBudgetUs: number;
  readonly batching: BatchingSettings;
  readonly observer?: BatcherObserver;
  /** Names the model in queue errors. */
  readonly label: string;
  /** Called once the model is loaded in the workers, as its warm-up runs begin. */
  readonly onWarming?: () => void;
}

/** What loading found out about a model, for logs and metrics. */
export interface LoadReport {
  readonly skippedOutputs: readonly string[];
  /** Run time of a warm single-row run in µs, when the warm-up could run. */
  readonly warmRunUs: number | undefined;
  readonly inline: boolean;
  /** Whether the workers held sessions of it after loading (not when every batch runs inline; they load on demand). */
  readonly workerSessions: boolean;
  /** Rewrites applied because onnxruntime refused the model as it was (see onnx-compat.ts). */
  readonly rewrites: readonly string[];
}

/** An ONNX model version ready to run; see {@link ModelRuntime}. */
export class OnnxRuntime implements ModelRuntime {
  #released: Promise<void> | undefined;
  readonly #batcher: Batcher;
  /** Settles once the model is loaded in every worker; unset while it runs inline only. */
  #inWorkers: Promise<void> | undefined;

  private constructor(
    readonly signature: Signature,
    readonly report: LoadReport,
    private readonly pool: WorkerPool,
    private readonly key: string,
    /** What the workers load, again, when a model that ran inline only needs them. */
    private readonly source: ModelSource,
    private readonly inlineSession: ort.InferenceSession | undefined,
    /** Run cost measured at warm-up; drives the inline choice per request. */
    private readonly cost: RunCost | undefined,
    private readonly options: OnnxRuntimeOptions,
  ) {
    if (report.workerSessions) this.#inWorkers = Promise.resolve();
    this.#batcher = new Batcher((inputs, outputNames, deadline) => this.#execute(inputs, outputNames, deadline), {
      settings: options.batching,
      concurrency: pool.size,
      stackable: hasDynamicBatch(signature),
      model: options.label,
      ...(options.observer ? { observer: options.observer } : {}),
    });
  }

  /** Sessions held now: one on the main thread when it runs inline, and one per worker while the workers hold it. */
  get sessions(): number {
    return (this.inlineSession ? 1 : 0) + (this.#inWorkers ? this.pool.size : 0);
  }

  /** Whether requests to this model are stacked into batches. */
  get batches(): boolean {
    return hasDynamicBatch(this.signature) && this.options.batching.maxBatchSize > 1;
  }

  /**
   * Loads a model file: reads its signature, loads it in every worker, warms it with one
   * zero-valued row and measures that run. Throws onnxruntime's error when the file is not a
   * model it can run.
   */
  static async load(path: string, options: OnnxRuntimeOptions): Promise<OnnxRuntime> {
    const { probe, source, rewrites } = await openSession(path, options.intraOpThreads, options.memoryArena);
    let signature: Signature;
    let skippedOutputs: string[];
    try {
      ({ signature, skippedOutputs } = signatureFromSession(probe, source));
    } catch (error) {
      await probe.release();
      throw error;
    }
    const key = `${options.key}#${randomUUID()}`;
    await options.pool.load(key, source, sessionSettings(options));
    options.onWarming?.();

    // Warm in a worker and measure: single rows and, for batching models, a batch as large as
    // the batcher makes (capped so loading stays quick).
    const outputNames = signature.outputs.map((o) => o.name);
    const cost = await measureRunCost(signature, Math.min(options.batching.maxBatchSize, 32), async (inputs) => {
      const { runMs } = await options.pool.run(key, inputs, outputNames);
      return runMs * 1000;
    });
    const warmRunUs = cost?.singleRowUs;
    const inlineCapable =
      options.execution === 'inline' || (options.execution === 'auto' && warmRunUs !== undefined && warmRunUs < options.inlineBudgetUs);
    let inlineSession: ort.InferenceSession | undefined;
    if (inlineCapable) inlineSession = probe;
    else await probe.release();
    // A model whose largest batch still runs inline never needs its worker sessions: free them
    // (a server of many small models would otherwise hold three sessions of each). A request
    // larger than expected loads them again on demand.
    const maxRows = hasDynamicBatch(signature) ? options.batching.maxBatchSize : 1;
    const workersIdle =
      options.execution === 'inline' ||
      (inlineCapable && cost !== undefined && predictRunUs(cost, cost.rowElements * maxRows) < options.inlineBudgetUs);
    if (workersIdle) await options.pool.unload(key);
    return new OnnxRuntime(
      signature,
      { skippedOutputs, warmRunUs, inline: inlineCapable, workerSessions: !workersIdle, rewrites },
      options.pool,
      key,
      source,
      inlineSession,
      cost,
      options,
    );
  }

  run(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]> {
    if (this.#released) return Promise.reject(Errors.MODEL_NOT_READY.create(this.options.label));
    return this.#batcher.submit(inputs, outputNames);
  }

  async #execute(inputs: readonly Tensor[], outputNames: readonly string[], deadline: number): Promise<Tensor[]> {
    if (this.#runsInline(inputs)) return runSession(this.inlineSession!, inputs, outputNames);
    await this.#loadInWorkers();
    const { observer, label, batching } = this.options;
    let result: WorkerRunResult;
    try {
      result = await this.pool.run(this.key, inputs, outputNames, deadline);
    } catch (error) {
      if (Errors.SERVER_OVERLOADED.is(error)) observer?.rejected?.('overloaded');
      throw error;
    }
    if (result.expired) {
      observer?.rejected?.('timeout');
      throw Errors.QUEUE_TIMEOUT.create(label, batching.timeoutMs);
    }
    return result.outputs;
  }

  /** Loads the model in the workers if it was running inline only; a failed load is retried next time. */
  #loadInWorkers(): Promise<void> {
    this.#inWorkers ??= this.pool.load(this.key, this.source, sessionSettings(this.options)).catch((error: unknown) => {
      this.#inWorkers = undefined;
      throw error;
    });
    return this.#inWorkers;
  }

  release(): Promise<void> {
    this.#released ??= this.#release();
    return this.#released;
  }

  async #release(): Promise<void> {
    try {
      await this.pool.unload(this.key);
      await this.inlineSession?.release();
    } finally {
      this.options.observer?.closed?.();
    }
  }

  #runsInline(inputs: readonly Tensor[]): boolean {
    if (!this.inlineSession) return false;
    if (this.options.execution === 'inline') return true;
    if (this.cost === undefined) return false;
    return predictRunUs(this.cost, inputElements(inputs)) < this.options.inlineBudgetUs;
  }
}

/**
 * Opens a probe session on the model as it is or, when onnxruntime refuses it, on a compatible
 * rewrite (see onnx-compat.ts). The original error is what the user sees if both fail.
 */
export async function openSession(
  path: string,
  intraOpThreads: number,
  memoryArena?: boolean,
): Promise<{ probe: ort.InferenceSession; source: ModelSource; rewrites: readonly string[] }> {
  const settings: SessionSettings = { intraOpThreads, ...(memoryArena !== undefined ? { memoryArena } : {}) };
  try {
    return { probe: await createSession(path, settings), source: path, rewrites: [] };
  } catch (error) {
    let compatible: CompatibleModel | undefined;
    try {
      compatible = makeCompatible(await readFile(path));
    } catch (rewriteError) {
      throw new Error(`${(error as Error).message} (Berth could not rewrite it either: ${(rewriteError as Error).message})`, { cause: error });
    }
    if (!compatible) throw error;
    try {
      return { probe: await createSession(compatible.bytes, settings), source: compatible.bytes, rewrites: compatible.changes };
    } catch {
      throw error;
    }
  }
}

/** The session settings a runtime's options give. */
function sessionSettings(options: OnnxRuntimeOptions): SessionSettings {
  return { intraOpThreads: options.intraOpThreads, ...(options.memoryArena !== undefined ? { memoryArena: options.memoryArena } : {}) };
}
