/**
 * Periodic background work: each task runs every so often, never two runs of it at once, its
 * failures reported and retried at the next interval; the timers never keep the process alive.
 */

/** Periodic tasks that stop together. */
export class IntervalTasks {
  readonly #onError: (error: unknown) => void;
  readonly #timers: NodeJS.Timeout[] = [];
  /** Runs in progress, which close() waits for. */
  readonly #running = new Set<Promise<void>>();
  #closed = false;

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  /** Runs `work` every `ms`, skipping a turn while the previous run is still going. */
  every(ms: number, work: () => Promise<unknown>): void {
    let running: Promise<void> | undefined;
    const timer = setInterval(() => {
      if (running !== undefined || this.#closed) return;
      const run = work()
        .then(() => undefined, this.#onError)
        .finally(() => {
          running = undefined;
          this.#running.delete(run);
        });
      running = run;
      this.#running.add(run);
    }, ms);
    timer.unref();
    this.#timers.push(timer);
  }

  /** Stops the timers and waits for the runs in progress. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers.splice(0)) clearInterval(timer);
    await Promise.allSettled([...this.#running]);
  }
}
