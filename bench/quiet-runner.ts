/**
 * Measuring on a shared machine: before each measurement, wait a little for other processes to
 * go quiet; after it, if they took more than a threshold of CPU meanwhile, measure again and keep
 * the quietest attempt. Other load can only make a server look slower, never faster, so the
 * quietest attempt is the closest to what the server does alone. A budget caps the extra time.
 */
import { startNoiseMeter } from './machine-noise.js';

/** How hard to try for quiet measurements. */
export interface QuietPolicy {
  /** Noise (other processes + steal, % of one core) above which a measurement is retried. */
  readonly maxNoisePercent: number;
  /** Attempts per measurement, the first included. */
  readonly attempts: number;
  /** Longest wait for quiet before each attempt, in seconds. */
  readonly waitSeconds: number;
  /** Most extra seconds (waits and retries) over the whole run. */
  readonly budgetSeconds: number;
}

/** Runs measurements under a {@link QuietPolicy}. */
export class QuietRunner {
  readonly #policy: QuietPolicy;
  #spentSeconds = 0;
  #retries = 0;

  constructor(policy: QuietPolicy) {
    this.#policy = policy;
  }

  /** Measurements repeated for noise so far, and the extra seconds spent on waits and retries. */
  get stats(): { retries: number; extraSeconds: number } {
    return { retries: this.#retries, extraSeconds: this.#spentSeconds };
  }

  /** Runs `measure` until its noise is low enough or attempts or budget run out; returns the quietest. */
  async run<T>(measure: () => Promise<T>, noiseOf: (result: T) => number): Promise<T> {
    let best: T | undefined;
    for (let attempt = 1; attempt <= this.#policy.attempts; attempt++) {
      await this.#waitForQuiet();
      const started = performance.now();
      const result = await measure();
      const noise = noiseOf(result);
      if (best === undefined || noise < noiseOf(best)) best = result;
      if (noise <= this.#policy.maxNoisePercent) break;
      const last = attempt === this.#policy.attempts || this.#spentSeconds >= this.#policy.budgetSeconds;
      if (last) break;
      this.#spentSeconds += (performance.now() - started) / 1000;
      this.#retries++;
      console.log(`    (noise ${noise.toFixed(0)}% of a core: measuring again)`);
    }
    return best!;
  }

  async #waitForQuiet(): Promise<void> {
    const deadline = performance.now() + this.#policy.waitSeconds * 1000;
    while (performance.now() < deadline && this.#spentSeconds < this.#policy.budgetSeconds) {
      const meter = startNoiseMeter();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const noise = meter.stop();
      if (noise.othersPercent + noise.stealPercent <= this.#policy.maxNoisePercent / 2) return;
      this.#spentSeconds += 1;
    }
  }
}
