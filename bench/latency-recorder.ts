/**
 * Latencies kept exactly, in ms. autocannon's own histogram counts whole milliseconds, too coarse
 * for single-row requests that finish in one or two; this keeps every sample instead (a few
 * hundred thousand doubles per run).
 */
export class LatencyRecorder {
  #samples = new Float64Array(1 << 16);
  #count = 0;

  /** Adds one latency in ms. */
  record(ms: number): void {
    if (this.#count === this.#samples.length) {
      const grown = new Float64Array(this.#samples.length * 2);
      grown.set(this.#samples);
      this.#samples = grown;
    }
    this.#samples[this.#count++] = ms;
  }

  /** Samples recorded. */
  get count(): number {
    return this.#count;
  }

  /** The samples recorded so far (a copy, for sending to another thread). */
  samples(): Float64Array {
    return this.#samples.slice(0, this.#count);
  }

  /** Adds samples recorded elsewhere (another worker thread). */
  merge(samples: Float64Array): void {
    for (const ms of samples) this.record(ms);
  }

  /** The p-th percentile (nearest rank, 0 < p ≤ 100), or NaN without samples. */
  percentile(p: number): number {
    if (this.#count === 0) return Number.NaN;
    const sorted = this.#samples.slice(0, this.#count).sort();
    const rank = Math.min(this.#count, Math.max(1, Math.ceil((p / 100) * this.#count)));
    return sorted[rank - 1]!;
  }
}
