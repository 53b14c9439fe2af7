/**
 * Batches sealed and waiting to be written, oldest first, with the number of entries they hold.
 * A write takes batches from the front; when it fails they are put back in front, and `trimTo`
 * drops the newest to keep a bound. Each log's sealed segments (SegmentLog) wait in one.
 */
export class SealedQueue<T extends { readonly entries: number }> {
  #batches: T[] = [];
  #entries = 0;

  /** Batches waiting. */
  get length(): number {
    return this.#batches.length;
  }

  /** Entries in the batches waiting. */
  get entries(): number {
    return this.#entries;
  }

  push(batch: T): void {
    this.#batches.push(batch);
    this.#entries += batch.entries;
  }

  /** Takes up to `max` of the oldest batches. */
  take(max: number): T[] {
    const taken = this.#batches.splice(0, max);
    for (const batch of taken) this.#entries -= batch.entries;
    return taken;
  }

  /** Puts batches back in front (their write failed: they are tried again first). */
  putBack(batches: readonly T[]): void {
    this.#batches.unshift(...batches);
    for (const batch of batches) this.#entries += batch.entries;
  }

  /** Drops the newest batches until at most `max` entries wait (or none is left); returns the entries dropped. */
  trimTo(max: number): number {
    let dropped = 0;
    while (this.#entries > max && this.#batches.length > 0) {
      const batch = this.#batches.pop()!;
      this.#entries -= batch.entries;
      dropped += batch.entries;
    }
    return dropped;
  }
}
