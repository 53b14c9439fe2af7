/**
 * Runs copies of requests on shadows after the primary has answered, and compares the answers.
 * Each shadow has a bounded queue: a shadow that falls behind drops copies (counted in /metrics
 * and in its comparison) instead of holding memory or slowing the versions that answer, and its
 * failures are counted, never passed to a caller. Each copy it ran (answered or failed) is also
 * handed to the monitor as the shadow's own prediction, so the shadow's drift, latency and errors
 * are in its windows (role `shadow`, apart from the traffic the model answered).
 */
import { BerthError, Errors } from '../core/errors.js';
import type { Prediction } from '../core/prediction.js';
import type { TensorData } from '../core/datatypes.js';
import type { Tensor } from '../core/tensor.js';
import {
  MAX_COMPARED_ELEMENTS,
  type PredictionEvent,
  type PredictionProtocol,
  type RequestFacts,
  type ShadowComparisons,
  eventFromFailure,
  eventFromRecords,
  eventFromTensors,
  tensorColumns,
} from '../monitor/index.js';
import type { LoadedVersion } from '../runtime/loaded-version.js';
import type { Pipeline } from '../runtime/pipeline.js';
import type { ServerMetrics } from './metrics.js';

/** The copied request, as the monitor names it. */
export interface ShadowRequest {
  readonly requestId: string;
  readonly protocol: PredictionProtocol;
}

/** A copied request and the primary's answer to it. */
export type ShadowJob =
  | {
      readonly request: ShadowRequest;
      readonly kind: 'tensors';
      /** A copy of the request's inputs, the shadow's own (a run may transfer its buffers). */
      readonly inputs: readonly Tensor[];
      readonly outputNames: readonly string[];
      readonly rows: number;
      readonly primary: readonly Tensor[];
      readonly primaryMs: number;
    }
  | {
      readonly request: ShadowRequest;
      readonly kind: 'records';
      readonly rows: readonly unknown[];
      readonly primary: readonly Prediction[];
      readonly primaryMs: number;
    }
  | {
      readonly request: ShadowRequest;
      /** A large records request, encoded off the event loop: the shadow runs its encoded rows. */
      readonly kind: 'encoded';
      /** The rows encoded by the shadow's pipeline (its own copy), or the error its schema raised. */
      readonly input: Tensor | BerthError;
      readonly rows: number;
      /** The primary's outputs, undecoded, and the pipeline that names them. */
      readonly primary: { readonly pipeline: Pipeline; readonly outputs: readonly Tensor[] };
      readonly primaryMs: number;
    };

/** Options of {@link ShadowRunner}. */
export interface ShadowRunnerOptions {
  /** Where comparisons go; absent (no metadata database): shadows run and are counted only. */
  readonly comparisons?: ShadowComparisons | undefined;
  readonly metrics: ServerMetrics;
  /** Copies one shadow may hold, running or waiting; past it copies are dropped. */
  readonly maxQueue: number;
  /** Copies one shadow runs at once (its batcher stacks them). */
  readonly concurrency: number;
  /** Told about a shadow's unexpected failure, for the server's debug log. */
  readonly onFailure?: (shadow: LoadedVersion, error: unknown) => void;
  /** Records each copy a shadow ran into the shadow's windows (MonitorService.recordShadow); absent: monitoring is off. */
  readonly recorder?: ((event: PredictionEvent) => void) | undefined;
}

interface Lane {
  running: number;
  readonly waiting: { readonly shadow: LoadedVersion; readonly job: ShadowJob }[];
}

/** Shadow runs of one server; see the module comment. */
export class ShadowRunner {
  readonly #options: ShadowRunnerOptions;
  readonly #lanes = new Map<string, Lane>();
  readonly #idle = new Set<() => void>();

  constructor(options: ShadowRunnerOptions) {
    this.#options = options;
  }

  /** True when `shadow`'s queue has room for a copy now, so a caller can skip making one that would be dropped. */
  hasRoom(shadow: LoadedVersion): boolean {
    const lane = this.#lanes.get(laneKey(shadow));
    return lane === undefined || lane.running + lane.waiting.length < this.#options.maxQueue;
  }

  /** Counts a copy not made for `shadow` because its queue was full (see {@link hasRoom}). */
  drop(shadow: LoadedVersion): void {
    this.#dropped(shadow);
  }

  /** Queues a copy for `shadow`, or drops it when the shadow's queue is full. */
  submit(shadow: LoadedVersion, job: ShadowJob): void {
    const key = laneKey(shadow);
    let lane = this.#lanes.get(key);
    if (!lane) {
      lane = { running: 0, waiting: [] };
      this.#lanes.set(key, lane);
    }
    if (lane.running + lane.waiting.length >= this.#options.maxQueue) {
      this.#dropped(shadow);
      return;
    }
    lane.waiting.push({ shadow, job });
    this.#pump(key, lane);
  }

  /** Copies running or waiting, on every shadow. */
  get pending(): number {
    let n = 0;
    for (const lane of this.#lanes.values()) n += lane.running + lane.waiting.length;
    return n;
  }

  /** Resolves once no copy runs or waits (for tests and shutdown). */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.add(resolve));
  }

  #pump(key: string, lane: Lane): void {
    while (lane.running < this.#options.concurrency && lane.waiting.length > 0) {
      const { shadow, job } = lane.waiting.shift()!;
      lane.running++;
      void this.#run(shadow, job).finally(() => {
        lane.running--;
        if (lane.running === 0 && lane.waiting.length === 0) this.#lanes.delete(key);
        else this.#pump(key, lane);
        if (this.pending === 0) {
          for (const resolve of this.#idle) resolve();
          this.#idle.clear();
        }
      });
    }
  }

  async #run(shadow: LoadedVersion, job: ShadowJob): Promise<void> {
    const { comparisons, metrics, recorder } = this.#options;
    const labels = { model: shadow.name, version: String(shadow.version) };
    const at = Date.now();
    const started = performance.now();
    const facts = (): RequestFacts => ({ model: shadow.name, version: labels.version, requestId: job.request.requestId, at, protocol: job.request.protocol, latencyMs: performance.now() - started });
    try {
      if (job.kind === 'tensors') {
        // Taken before the run: its input buffers may be transferred to a worker.
        const features = recorder ? tensorColumns(job.inputs, job.rows) : undefined;
        const outputs = await shadow.infer(job.inputs, job.outputNames.filter((name) => shadow.signature.outputs.some((o) => o.name === name)));
        const done = facts();
        comparisons?.window(shadow.name, shadow.version).compareTensors(job.rows, job.primary, outputs, { primaryMs: job.primaryMs, shadowMs: done.latencyMs });
        recorder?.(eventFromTensors(done, job.rows, features, outputs));
      } else if (job.kind === 'encoded') {
        if (job.input instanceof BerthError) throw job.input;
        const pipeline = shadow.pipeline;
        // Taken before the run: its input buffer may be transferred to a worker.
        const copy = recorder && pipeline ? { ...job.input, data: job.input.data.slice() as TensorData } : undefined;
        const outputs = await shadow.predictEncoded(job.input);
        const done = facts();
        // Both answers are decoded on the event loop, so a large request is compared on its first rows.
        const compared = Math.min(job.rows, MAX_COMPARED_ELEMENTS);
        const primary = job.primary.pipeline.decode(firstRows(job.primary.outputs, job.rows, compared), compared);
        const answered = pipeline!.decode(firstRows(outputs, job.rows, compared), compared);
        comparisons?.window(shadow.name, shadow.version).comparePredictions(primary, answered, { primaryMs: job.primaryMs, shadowMs: done.latencyMs });
        if (recorder && pipeline && copy) recorder(eventFromRecords(done, pipeline.schema, pipeline.valuesOf(copy) ?? [], pipeline.decode(outputs, job.rows)));
      } else {
        const result = await shadow.predict(job.rows);
        const done = facts();
        comparisons?.window(shadow.name, shadow.version).comparePredictions(job.primary, result.predictions, { primaryMs: job.primaryMs, shadowMs: done.latencyMs });
        const schema = shadow.pipeline?.schema;
        if (recorder && schema) recorder(eventFromRecords(done, schema, result.values, result.predictions));
      }
      metrics.shadowRequests.inc({ ...labels, outcome: 'answered' });
    } catch (error) {
      // A shadow with no room (its batcher's queue, the worker pool) fell behind: that is a drop.
      if (Errors.QUEUE_FULL.is(error) || Errors.SERVER_OVERLOADED.is(error) || Errors.QUEUE_TIMEOUT.is(error)) {
        this.#dropped(shadow);
        return;
      }
      comparisons?.window(shadow.name, shadow.version).shadowFailed();
      metrics.shadowRequests.inc({ ...labels, outcome: 'failed' });
      recorder?.(eventFromFailure(facts(), error instanceof BerthError && error.httpStatus < 500 ? 'client_error' : 'server_error'));
      this.#options.onFailure?.(shadow, error);
    }
  }

  #dropped(shadow: LoadedVersion): void {
    this.#options.comparisons?.window(shadow.name, shadow.version).droppedOne();
    this.#options.metrics.shadowRequests.inc({ model: shadow.name, version: String(shadow.version), outcome: 'dropped' });
  }
}

function laneKey(shadow: LoadedVersion): string {
  return `${shadow.name}\u0000${shadow.version}`;
}

/** The first `count` of `rows` rows of each tensor whose first dimension is `rows` (views, not copies). */
function firstRows(tensors: readonly Tensor[], rows: number, count: number): Tensor[] {
  return tensors.map((t) => {
    if (count === rows || t.shape[0] !== rows || Array.isArray(t.data)) return t;
    const width = t.data.length / rows;
    const data = (t.data as Exclude<TensorData, readonly unknown[]>).subarray(0, count * width) as TensorData;
    return { ...t, shape: [count, ...t.shape.slice(1)], data };
  });
}
