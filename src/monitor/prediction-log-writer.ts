/**
 * Writes the prediction log and samples (PredictionLog's buffers) to the store: one write at a
 * time, and as soon as a full batch waits rather than at the next timer, so that the buffers stay
 * small under load.
 */
import type { PredictionLogStore } from '../store/index.js';
import { type PredictionEvent } from './prediction-event.js';
import { type PredictionLog } from './prediction-log.js';

/** The prediction log and its writing. */
export class PredictionLogWriter {
  readonly #log: PredictionLog;
  readonly #store: PredictionLogStore;
  readonly #onError: (error: unknown) => void;
  #writing: Promise<void> = Promise.resolve();
  #scheduled = false;

  /** `onError` hears of a write started because a batch was full that failed (it is retried). */
  constructor(log: PredictionLog, store: PredictionLogStore, onError: (error: unknown) => void) {
    this.#log = log;
    this.#store = store;
    this.#onError = onError;
  }

  /** Entries dropped under overload. */
  get dropped(): number {
    return this.#log.dropped;
  }

  /** Takes an answered request (see PredictionLog.add); when a batch is full, schedules its write. */
  add(event: PredictionEvent): void {
    this.#log.add(event);
    if (this.#log.full && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.flush({ full: true }).catch(this.#onError);
      });
    }
  }

  /** Writes what waits (with `full`, only full batches; see PredictionLog.flush), after any write in progress. */
  flush(options: { readonly full?: boolean } = {}): Promise<void> {
    const run = this.#writing.catch(() => undefined).then(() => this.#log.flush(this.#store, options));
    this.#writing = run;
    return run;
  }
}
