/**
 * Writes the monitor's logs (PredictionLog's buffers) to the stores: one write at a time, and as
 * soon as a sealed segment or a full batch of samples waits rather than at the next timer, so that
 * the buffers stay small under load.
 */
import type { SampleStore } from '../store/index.js';
import { type SegmentStores } from './log-segments.js';
import { type PredictionEvent } from './prediction-event.js';
import { type DroppedEntries, type PredictionLog } from './prediction-log.js';

/** The stores the logs go to. */
export type PredictionLogStores = SegmentStores & { readonly samples: SampleStore };

/** The logs and their writing. */
export class PredictionLogWriter {
  readonly log: PredictionLog;
  readonly #stores: PredictionLogStores;
  readonly #onError: (error: unknown) => void;
  #writing: Promise<void> = Promise.resolve();
  /** A write of full buffers is scheduled or queued and has not started: a later one would find nothing more to do. */
  #fullPending = false;

  /** `onError` hears of a write started because a batch was full that failed (it is retried). */
  constructor(log: PredictionLog, stores: PredictionLogStores, onError: (error: unknown) => void) {
    this.log = log;
    this.#stores = stores;
    this.#onError = onError;
  }

  /** Entries dropped under overload. */
  get dropped(): DroppedEntries {
    return this.log.dropped;
  }

  /** Takes an answered request (see PredictionLog.add); when a segment or batch is full, schedules its write. */
  add(event: PredictionEvent): void {
    this.log.add(event);
    // While a slow write runs the buffers can stay full for thousands of turns; queueing a write
    // on each would chain a promise per turn, so one waiting write serves them all.
    if (this.log.full && !this.#fullPending) {
      this.#fullPending = true;
      setImmediate(() => {
        this.#write({ full: true }, () => (this.#fullPending = false)).catch(this.#onError);
      });
    }
  }

  /** Writes what waits (see PredictionLog.flush), after any write in progress. */
  flush(options: { readonly full?: boolean; readonly seal?: 'due' | 'all' } = {}): Promise<void> {
    return this.#write(options, () => undefined);
  }

  /** Queues a write behind the one in progress; `starting` runs as it starts. */
  #write(options: { readonly full?: boolean; readonly seal?: 'due' | 'all' }, starting: () => void): Promise<void> {
    const run = this.#writing
      .catch(() => undefined)
      .then(() => {
        starting();
        return this.log.flush(this.#stores, options);
      });
    this.#writing = run;
    return run;
  }

  /** True while a write of full buffers waits to start (tests). */
  get fullWritePending(): boolean {
    return this.#fullPending;
  }
}
