/**
 * Batches sealed and waiting to be written, oldest first, with the number of entries they hold
 * and their weight towards a bound (their entries, unless a batch says otherwise). A write takes
 * batches from the front; when it fails they are put back in front, and `trimTo` drops the newest
 * to keep a bound. Each log's sealed segments (SegmentLog) wait in one.
 */
export class SealedQueue<T extends { readonly entries: number; readonly weight?: number }> {
  #batches: T[] = [];
  #entries = 0;
  #weight = 0;

  /** Batches waiting. */
  get length(): number {
    return this.#batches.length;
  }

  /** Entries in the batches waiting. */
  get entries(): number {
    return this.#entries;
  }

  /** Weight of the batches waiting. */
  get weight(): number {
    return this.#weight;
  }

  push(batch: T): void {
    this.#batches.push(batch);
    this.#count(batch, 1);
  }

  /** Takes up to `max` of the oldest batches. */
  take(max: number): T[] {
    const taken = this.#batches.splice(0, max);
    for (const batch of taken) this.#count(batch, -1);
    return taken;
  }

  /** Puts batches back in front (their write failed: they are tried again first). */
  putBack(batches: readonly T[]): void {
    this.#batches.unshift(...batches);
    for (const batch of batches) this.#count(batch, 1);
  }

  /** Drops the newest batches until at most `max` weight waits (or none is left); returns the entries dropped. */
  trimTo(max: number): number {
    let dropped = 0;
    while (this.#weight > max && this.#batches.length > 0) {
      const batch = this.#batches.pop()!;
      this.#count(batch, -1);
      dropped += batch.entries;
    }
    return dropped;
  }

  #count(batch: T, sign: 1 | -1): void {
    this.#entries += sign * batch.entries;
    this.#weight += sign * (batch.weight ?? batch.entries);
  }
}
