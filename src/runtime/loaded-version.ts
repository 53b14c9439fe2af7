/**
 * A version of a model loaded for serving: its signature, pipeline and runtime, and the one guarded
 * lifecycle every request passes through.
 *
 *     loading ─▶ warming ─▶ ready ─▶ draining ─▶ released
 *        ▲          │          │
 *        └──────────┘          │ a failed load; load() may be called again
 *        ▲                     ▼
 *     unloaded ◀────────── unloading      (versions under a memory budget only)
 *
 * A version under a {@link MemoryBudget} may be *unloaded*: its runtime is freed (after its
 * requests in flight finish) and it stays in service, loading again on its next request, which
 * waits for that load up to `coldLoadTimeoutMs`. Such a version may also start unloaded, knowing
 * its signature from its bundle; the budget decides which versions to unload.
 *
 * `load()` is idempotent (concurrent callers share one load) and retryable (a failed load can be
 * tried again); `release()` is idempotent, waits for a load in progress and for the requests in
 * flight, then frees the runtime. A released version refuses every request with
 * BERTH_MODEL_NOT_READY (503): the caller resolves the version again and finds its replacement.
 *
 * @example
 *   const version = new LoadedVersion({ name: 'iris', version: 3, source: 'iris.onnx', open: (warming) => openIris(warming) });
 *   await version.load();
 *   const { predictions } = await version.predict([{ petal_length: 1.4 }]);
 *   await version.release();
 */
import { Errors } from '../core/errors.js';
import type { Signature } from '../core/signature.js';
import { type Tensor, tensorsByteLength } from '../core/tensor.js';
import { type BudgetedVersion, type MemoryBudget, estimateVersionBytes } from './memory-budget.js';
import type { ModelRuntime } from './model-runtime.js';
import type { Pipeline, RowPredictions } from './pipeline.js';

/** Where a loaded version is in its lifecycle; see the module comment. */
export type LoadedVersionState = 'unloaded' | 'loading' | 'warming' | 'ready' | 'unloading' | 'draining' | 'released';

/**
 * Opens the runtime of a version. It calls `warming()` once the model is loaded and its warm-up
 * runs begin, and resolves when the runtime can take requests.
 */
export type OpenRuntime = (warming: () => void) => Promise<ModelRuntime>;

/** What a {@link LoadedVersion} is made of. */
export interface LoadedVersionOptions {
  readonly name: string;
  readonly version: number;
  /** Where it came from (a file path, or `registry:name:version`), for metadata and logs. */
  readonly source: string;
  /** The bundle's digest, for versions served from the registry. */
  readonly digest?: string;
  /** The bundle manifest as stored (schema, metrics, profile, lineage, serving settings). */
  readonly manifest?: Readonly<Record<string, unknown>>;
  /** The compiled pipeline, when the bundle has a schema and pipeline; without it `predict` is refused. */
  readonly pipeline?: Pipeline;
  readonly open: OpenRuntime;
  /** Puts the version under a memory budget, so it can be unloaded and load on demand. */
  readonly memory?: VersionMemory;
}

/** How a version takes part in a {@link MemoryBudget}. */
export interface VersionMemory {
  readonly budget: MemoryBudget;
  /** Bytes of its model file, for the estimate (memory-budget.ts). */
  readonly modelBytes: number;
  /** Sessions a load holds at its peak (the probe session and one per worker thread). */
  readonly loadSessions: number;
  /** How long a request waits for the version to load, in ms (BERTH_MODEL_COLD_LOAD_TIMEOUT past it). */
  readonly coldLoadTimeoutMs: number;
  /** The signature from its bundle, so the version can take requests before its first load. */
  readonly signature?: Signature;
  /** Starts unloaded (it needs `signature`); otherwise it is loaded by whoever made it. */
  readonly startUnloaded?: boolean;
  /** Told of each load a request waited for, when it ends (`error` set when it failed). */
  readonly onColdLoad?: (seconds: number, error?: unknown) => void;
  /** Told of each request that waited for a load, when its wait ends; see {@link ColdWaitOutcome}. */
  readonly onColdWait?: (outcome: ColdWaitOutcome) => void;
}

/**
 * How a request's wait for its version to load ended: `served` (loaded in time, the request went
 * on to run), `timeout` (BERTH_MODEL_COLD_LOAD_TIMEOUT, the load carrying on) or `failed` (the load
 * failed, or the version left service, and the request got that error).
 */
export type ColdWaitOutcome = 'served' | 'timeout' | 'failed';

/** A model version with its runtime and lifecycle; see the module comment. */
export class LoadedVersion implements BudgetedVersion {
  readonly name: string;
  readonly version: number;
  readonly source: string;
  readonly digest: string | undefined;
  readonly manifest: Readonly<Record<string, unknown>> | undefined;
  readonly pipeline: Pipeline | undefined;
  readonly #open: OpenRuntime;
  readonly #memory: VersionMemory | undefined;
  #state: LoadedVersionState;
  #runtime: ModelRuntime | undefined;
  /** The last runtime's signature (or the bundle's), kept while the version is unloaded. */
  #signature: Signature | undefined;
  #loading: Promise<void> | undefined;
  #unloading: Promise<void> | undefined;
  #releasing: Promise<void> | undefined;
  /** Set once the version has been ready: only then does draining let requests in. */
  #wasReady = false;
  #inFlight = 0;
  /** Requests waiting for the version to load (memory budget only). */
  #waiting = 0;
  /** Sessions the runtime held when last accounted for in the budget. */
  #sessions: number | undefined;
  #drained: (() => void) | undefined;

  constructor(options: LoadedVersionOptions) {
    this.name = options.name;
    this.version = options.version;
    this.source = options.source;
    this.digest = options.digest;
    this.manifest = options.manifest;
    this.pipeline = options.pipeline;
    this.#open = options.open;
    this.#memory = options.memory;
    this.#signature = options.memory?.signature;
    const startUnloaded = options.memory?.startUnloaded === true;
    if (startUnloaded && !this.#signature) throw new Error('a version that starts unloaded needs its signature');
    this.#state = startUnloaded ? 'unloaded' : 'loading';
  }

  get state(): LoadedVersionState {
    return this.#state;
  }

  /** True while the version takes new requests (one under a memory budget does while unloaded too: it loads for them). */
  get isReady(): boolean {
    return this.#state === 'ready' || (this.#takesColdRequests && this.#wasReadyOrKnown);
  }

  /**
   * True while requests may run on it: ready, or draining (a draining version still answers the
   * requests that resolved it before it left the model table; release() waits for them), or, under
   * a memory budget, unloaded or loading (a request waits for its load).
   */
  get serving(): boolean {
    if (this.#state === 'ready') return true;
    if (this.#state === 'draining') return this.#wasReady;
    return this.#takesColdRequests;
  }

  /** True while its runtime is loaded: it can be unloaded to make room (memory-budget.ts). */
  get unloadable(): boolean {
    return this.#state === 'ready' && this.#runtime !== undefined && !this.#unloading;
  }

  /** True when it is under a memory budget and not yet leaving service. */
  get #takesColdRequests(): boolean {
    return this.#memory !== undefined && !this.#releasing && this.#state !== 'released';
  }

  get #wasReadyOrKnown(): boolean {
    return this.#wasReady || this.#signature !== undefined;
  }

  /**
   * The model's tensor inputs and outputs. Throws BERTH_MODEL_NOT_READY before the load and after
   * release (a version under a memory budget keeps it while unloaded).
   */
  get signature(): Signature {
    const signature = this.#runtime?.signature ?? (this.#memory && this.#state !== 'released' ? this.#signature : undefined);
    if (signature === undefined) throw Errors.MODEL_NOT_READY.create(this.name);
    return signature;
  }

  /** Requests running now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** True while requests run on it or wait for it to load. */
  get busy(): boolean {
    return this.#inFlight > 0 || this.#waiting > 0;
  }

  /**
   * Loads and warms the runtime. Concurrent calls share one load; after a failure the version is
   * `loading` again and another call tries afresh. Refused once release has begun.
   */
  load(): Promise<void> {
    if (this.#releasing) return Promise.reject(Errors.MODEL_NOT_READY.create(this.name));
    this.#loading ??= this.#load().catch((error: unknown) => {
      this.#loading = undefined;
      throw error;
    });
    return this.#loading;
  }

  async #load(): Promise<void> {
    // A load asked for while the version unloads starts once the unload is done.
    await this.#unloading;
    const memory = this.#memory;
    const wasUnloaded = this.#state === 'unloaded';
    if (!this.#releasing) this.#state = 'loading';
    let runtime: ModelRuntime;
    try {
      if (memory) await memory.budget.reserve(this, estimateVersionBytes(memory.modelBytes, memory.loadSessions), Date.now() + memory.coldLoadTimeoutMs);
      runtime = await this.#open(() => {
        if (!this.#releasing) this.#state = 'warming';
      });
    } catch (error) {
      memory?.budget.release(this);
      if (!this.#releasing) this.#state = wasUnloaded ? 'unloaded' : 'loading';
      throw error;
    }
    this.#runtime = runtime;
    this.#signature = runtime.signature;
    this.#sessions = runtime.sessions;
    memory?.budget.resize(this, estimateVersionBytes(memory.modelBytes, runtime.sessions ?? memory.loadSessions));
    memory?.budget.touch(this);
    if (this.#releasing) return;
    this.#state = 'ready';
    this.#wasReady = true;
  }

  /**
   * Frees the runtime of a version under a memory budget once its requests in flight finish; it
   * stays in service and loads again on its next request. Returns with nothing to do when the
   * version is not loaded, or is being released.
   */
  unload(): Promise<void> {
    if (this.#releasing || !this.#memory) return this.#releasing ?? Promise.resolve();
    this.#unloading ??= this.#unload().finally(() => {
      this.#unloading = undefined;
    });
    return this.#unloading;
  }

  async #unload(): Promise<void> {
    // A version that is ready turns `unloading` before this returns, so no request enters it after.
    if (this.#state !== 'ready') await this.#loading?.catch(() => undefined);
    const runtime = this.#runtime;
    if (!runtime || this.#releasing) return;
    this.#state = 'unloading';
    // A request arriving now starts a new load, which waits for this unload to finish.
    this.#loading = undefined;
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    this.#runtime = undefined;
    try {
      await runtime.release();
    } finally {
      this.#memory?.budget.release(this);
      if (!this.#releasing) this.#state = 'unloaded';
    }
  }

  /**
   * Runs the model on tensors that already match the signature (the data plane checks them).
   * Input buffers may be transferred to a worker thread.
   */
  async infer(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]> {
    const runtime = this.#enter() ?? (await this.#enterCold());
    try {
      return await runtime.run(inputs, outputNames);
    } finally {
      this.#leave();
    }
  }

  /**
   * Predicts named results for rows of named features through the pipeline: rows are validated
   * (400 naming the row and field), encoded, run and decoded. Fields the schema does not know are
   * ignored and reported in `unknownFields`. Outputs of more than `maxOutputBytes` are refused with
   * BERTH_RESPONSE_TOO_LARGE.
   */
  async predict(rows: readonly unknown[], maxOutputBytes = Infinity): Promise<RowPredictions & { readonly outputs: readonly Tensor[] }> {
    const pipeline = this.pipeline;
    if (!pipeline) throw Errors.MODEL_NO_SCHEMA.create(this.name, String(this.version));
    if (rows.length === 0) throw Errors.REQUEST_INVALID.create('there are no rows to predict');
    const runtime = this.#enter() ?? (await this.#enterCold());
    try {
      const { tensor, unknownFields, values, valueWarnings } = pipeline.encode(rows);
      const outputs = await runtime.run([tensor], pipeline.outputNames);
      const bytes = tensorsByteLength(outputs);
      if (bytes > maxOutputBytes) throw Errors.RESPONSE_TOO_LARGE.create(this.name, bytes, maxOutputBytes);
      return { predictions: pipeline.decode(outputs, rows.length), unknownFields, values, valueWarnings, outputs };
    } finally {
      this.#leave();
    }
  }

  /**
   * Runs rows already validated and encoded as the pipeline's input tensor (in a body codec
   * worker) and returns the pipeline's outputs, undecoded (`pipeline.decode` names them), so a
   * large answer can be decoded off the event loop. The tensor's buffer may be transferred.
   */
  async predictEncoded(tensor: Tensor, maxOutputBytes = Infinity): Promise<Tensor[]> {
    const pipeline = this.pipeline;
    if (!pipeline) throw Errors.MODEL_NO_SCHEMA.create(this.name, String(this.version));
    const runtime = this.#enter() ?? (await this.#enterCold());
    try {
      const outputs = await runtime.run([tensor], pipeline.outputNames);
      const bytes = tensorsByteLength(outputs);
      if (bytes > maxOutputBytes) throw Errors.RESPONSE_TOO_LARGE.create(this.name, bytes, maxOutputBytes);
      return outputs;
    } finally {
      this.#leave();
    }
  }

  /** Stops new requests, waits for a load in progress and the requests in flight, then frees the runtime. Idempotent. */
  release(): Promise<void> {
    this.#releasing ??= this.#release();
    return this.#releasing;
  }

  async #release(): Promise<void> {
    this.#state = 'draining';
    await this.#loading?.catch(() => undefined);
    await this.#unloading;
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    const runtime = this.#runtime;
    this.#runtime = undefined;
    try {
      await runtime?.release();
    } finally {
      this.#memory?.budget.remove(this);
      this.#state = 'released';
    }
  }

  /** Enters a request on the loaded runtime; undefined when a version under a budget must load first. */
  #enter(): ModelRuntime | undefined {
    const runtime = this.#runtime;
    if (runtime !== undefined && this.#state !== 'unloading' && this.serving) {
      this.#inFlight++;
      this.#memory?.budget.touch(this);
      return runtime;
    }
    if (!this.#takesColdRequests) throw Errors.MODEL_NOT_READY.create(this.name);
    return undefined;
  }

  /** Waits for the version to load (sharing a load in progress), up to the cold-load timeout, then enters. */
  async #enterCold(): Promise<ModelRuntime> {
    const memory = this.#memory!;
    this.#waiting++;
    try {
      const runtime = await this.#waitForLoad(memory);
      memory.onColdWait?.('served');
      return runtime;
    } catch (error) {
      memory.onColdWait?.(Errors.MODEL_COLD_LOAD_TIMEOUT.is(error) ? 'timeout' : 'failed');
      throw error;
    } finally {
      this.#waiting--;
      if (!this.busy) memory.budget.idle(this);
    }
  }

  async #waitForLoad(memory: VersionMemory): Promise<ModelRuntime> {
    const deadline = performance.now() + memory.coldLoadTimeoutMs;
    for (;;) {
      const started = this.#loading === undefined ? performance.now() : undefined;
      const loading = this.load();
      if (started !== undefined) {
        loading.then(
          () => memory.onColdLoad?.((performance.now() - started) / 1000),
          (error: unknown) => memory.onColdLoad?.((performance.now() - started) / 1000, error),
        );
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(Errors.MODEL_COLD_LOAD_TIMEOUT.create(`${this.name}:${this.version}`, memory.coldLoadTimeoutMs)), Math.max(0, deadline - performance.now()));
      });
      try {
        await Promise.race([loading, timeout]);
      } finally {
        clearTimeout(timer);
      }
      // Unloaded again before this request got in (the budget needed the room): load once more.
      const runtime = this.#enter();
      if (runtime) return runtime;
    }
  }

  #leave(): void {
    this.#inFlight--;
    const memory = this.#memory;
    // A model that ran inline loads worker sessions for a request larger than it was warmed for.
    const sessions = this.#runtime?.sessions;
    if (memory && sessions !== undefined && sessions !== this.#sessions) {
      this.#sessions = sessions;
      memory.budget.resize(this, estimateVersionBytes(memory.modelBytes, sessions));
    }
    if (this.#inFlight === 0) {
      this.#drained?.();
      if (this.#waiting === 0) this.#memory?.budget.idle(this);
    }
  }
}
