/**
 * Runs copies of requests on shadows after the primary has answered, and compares the answers.
 * Each shadow has a bounded queue: a shadow that falls behind drops copies (counted in /metrics
 * and in its comparison) instead of holding memory or slowing the versions that answer, and its
 * failures are counted, never passed to a caller.
 */
import { Errors } from '../core/errors.js';
import type { Prediction } from '../core/prediction.js';
import type { Tensor } from '../core/tensor.js';
import type { ShadowComparisons } from '../monitor/index.js';
import type { LoadedVersion } from '../runtime/loaded-version.js';
import type { ServerMetrics } from './metrics.js';

/** A copied request and the primary's answer to it. */
export type ShadowJob =
  | {
      readonly kind: 'tensors';
      /** A copy of the request's inputs, the shadow's own (a run may transfer its buffers). */
      readonly inputs: readonly Tensor[];
      readonly outputNames: readonly string[];
      readonly rows: number;
      readonly primary: readonly Tensor[];
      readonly primaryMs: number;
    }
  | {
      readonly kind: 'records';
      readonly rows: readonly unknown[];
      readonly primary: readonly Prediction[];
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

  /** Queues a copy for `shadow`, or drops it when the shadow's queue is full. */
  submit(shadow: LoadedVersion, job: ShadowJob): void {
    const key = `${shadow.name}\u0000${shadow.version}`;
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
    const { comparisons, metrics } = this.#options;
    const labels = { model: shadow.name, version: String(shadow.version) };
    const started = performance.now();
    try {
      if (job.kind === 'tensors') {
        const outputs = await shadow.infer(job.inputs, job.outputNames.filter((name) => shadow.signature.outputs.some((o) => o.name === name)));
        comparisons?.window(shadow.name, shadow.version).compareTensors(job.rows, job.primary, outputs, { primaryMs: job.primaryMs, shadowMs: performance.now() - started });
      } else {
        const { predictions } = await shadow.predict(job.rows);
        comparisons?.window(shadow.name, shadow.version).comparePredictions(job.primary, predictions, { primaryMs: job.primaryMs, shadowMs: performance.now() - started });
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
      this.#options.onFailure?.(shadow, error);
    }
  }

  #dropped(shadow: LoadedVersion): void {
    this.#options.comparisons?.window(shadow.name, shadow.version).droppedOne();
    this.#options.metrics.shadowRequests.inc({ model: shadow.name, version: String(shadow.version), outcome: 'dropped' });
  }
}
