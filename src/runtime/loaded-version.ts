/**
 * A version of a model loaded for serving: its signature, pipeline and runtime, and the one guarded
 * lifecycle every request passes through.
 *
 *     loading ─▶ warming ─▶ ready ─▶ draining ─▶ released
 *        ▲          │
 *        └──────────┘ a failed load; load() may be called again
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
import type { ModelRuntime } from './model-runtime.js';
import type { Pipeline, RowPredictions } from './pipeline.js';

/** Where a loaded version is in its lifecycle; see the module comment. */
export type LoadedVersionState = 'loading' | 'warming' | 'ready' | 'draining' | 'released';

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
}

/** A model version with its runtime and lifecycle; see the module comment. */
export class LoadedVersion {
  readonly name: string;
  readonly version: number;
  readonly source: string;
  readonly digest: string | undefined;
  readonly manifest: Readonly<Record<string, unknown>> | undefined;
  readonly pipeline: Pipeline | undefined;
  readonly #open: OpenRuntime;
  #state: LoadedVersionState = 'loading';
  #runtime: ModelRuntime | undefined;
  #loading: Promise<void> | undefined;
  #releasing: Promise<void> | undefined;
  /** Set once the version has been ready: only then does draining let requests in. */
  #wasReady = false;
  #inFlight = 0;
  #drained: (() => void) | undefined;

  constructor(options: LoadedVersionOptions) {
    this.name = options.name;
    this.version = options.version;
    this.source = options.source;
    this.digest = options.digest;
    this.manifest = options.manifest;
    this.pipeline = options.pipeline;
    this.#open = options.open;
  }

  get state(): LoadedVersionState {
    return this.#state;
  }

  /** True while the version takes new requests. */
  get isReady(): boolean {
    return this.#state === 'ready';
  }

  /**
   * True while requests may run on it: ready, or draining (a draining version still answers the
   * requests that resolved it before it left the model table; release() waits for them).
   */
  get serving(): boolean {
    return this.#state === 'ready' || (this.#state === 'draining' && this.#wasReady);
  }

  /** The model's tensor inputs and outputs. Throws BERTH_MODEL_NOT_READY before the load and after release. */
  get signature(): Signature {
    if (this.#runtime === undefined) throw Errors.MODEL_NOT_READY.create(this.name);
    return this.#runtime.signature;
  }

  /** Requests running now. */
  get inFlight(): number {
    return this.#inFlight;
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
    const runtime = await this.#open(() => {
      if (!this.#releasing) this.#state = 'warming';
    });
    this.#runtime = runtime;
    if (this.#releasing) return;
    this.#state = 'ready';
    this.#wasReady = true;
  }

  /**
   * Runs the model on tensors that already match the signature (the data plane checks them).
   * Input buffers may be transferred to a worker thread.
   */
  async infer(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]> {
    const runtime = this.#enter();
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
  async predict(rows: readonly unknown[], maxOutputBytes = Infinity): Promise<RowPredictions> {
    const pipeline = this.pipeline;
    if (!pipeline) throw Errors.MODEL_NO_SCHEMA.create(this.name, String(this.version));
    if (rows.length === 0) throw Errors.REQUEST_INVALID.create('there are no rows to predict');
    const runtime = this.#enter();
    try {
      const { tensor, unknownFields, values, valueWarnings } = pipeline.encode(rows);
      const outputs = await runtime.run([tensor], pipeline.outputNames);
      const bytes = tensorsByteLength(outputs);
      if (bytes > maxOutputBytes) throw Errors.RESPONSE_TOO_LARGE.create(this.name, bytes, maxOutputBytes);
      return { predictions: pipeline.decode(outputs, rows.length), unknownFields, values, valueWarnings };
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
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    const runtime = this.#runtime;
    try {
      await runtime?.release();
    } finally {
      this.#state = 'released';
    }
  }

  #enter(): ModelRuntime {
    const runtime = this.#runtime;
    if (runtime === undefined || !this.serving) throw Errors.MODEL_NOT_READY.create(this.name);
    this.#inFlight++;
    return runtime;
  }

  #leave(): void {
    this.#inFlight--;
    if (this.#inFlight === 0) this.#drained?.();
  }
}
