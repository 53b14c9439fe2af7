/**
 * A read-write lock for async work: reports read stored and in-memory windows together while no
 * flush moves a window between the two (many reads at once; a flush waits for them, and new reads
 * wait for the flush).
 */
export class ReadWriteLock {
  #readers = 0;
  #writer = false;
  #parked: (() => void)[] = [];

  /** Runs `work` as a reader. */
  async read<T>(work: () => Promise<T>): Promise<T> {
    // Check and take in one synchronous step after the last wake-up.
    while (this.#writer) await this.#park();
    this.#readers += 1;
    try {
      return await work();
    } finally {
      this.#readers -= 1;
      this.#wake();
    }
  }

  /** Runs `work` as the only writer, once readers already in have left. */
  async write<T>(work: () => Promise<T>): Promise<T> {
    while (this.#writer) await this.#park();
    this.#writer = true;
    try {
      while (this.#readers > 0) await this.#park();
      return await work();
    } finally {
      this.#writer = false;
      this.#wake();
    }
  }

  #park(): Promise<void> {
    return new Promise((resolve) => this.#parked.push(resolve));
  }

  #wake(): void {
    const parked = this.#parked;
    this.#parked = [];
    for (const resume of parked) resume();
  }
}
