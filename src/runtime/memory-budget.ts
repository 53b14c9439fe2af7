/**
 * The memory budget of a server's loaded versions (`runtime.modelMemory`, `--model-memory`): a
 * version reserves its estimated bytes before it loads; when they would not fit, the least
 * recently used versions that are idle (no request in flight) and not pinned are unloaded first,
 * and their bytes come back once their runtime is freed. A reservation that finds only busy or
 * pinned versions waits for one to go idle, up to a deadline, then fails with
 * BERTH_MODEL_MEMORY_EXHAUSTED (503, retry); one that could never fit fails at once.
 *
 * How much a version holds is an estimate, not a measurement (the resident size of one process
 * cannot be split between sessions that load at the same time): see {@link estimateVersionBytes}.
 * Memory that other parts hold for a resident version (the monitor's open windows) is *attached*
 * to it ({@link MemoryBudget.attach}): counted with the version, at least `attachedReserveBytes`
 * from its load on, and given back when it unloads (when those parts free it: see `released`).
 * Attached memory that grows past the budget unloads idle versions as a load would.
 *
 * @example
 *   const budget = new MemoryBudget({ limitBytes: 512 * 1024 * 1024 });
 *   await budget.reserve(version, estimateVersionBytes(modelBytes, pool.size + 1), Date.now() + 30_000);
 */
import { Errors } from '../core/errors.js';

/**
 * What onnxruntime holds per session besides the model's weights, in bytes, rounded up from what
 * sessions of tiny models take once onnxruntime has started (bench/session-churn.ts; its first
 * session's one-time set-up is the process's, not a version's).
 */
export const SESSION_OVERHEAD_BYTES = 512 * 1024;

/**
 * Bytes a session holds per byte of model file: the weights (initializers) once, plus what graph
 * optimisation and the allocator add (measured 1.28 for a 5 MiB MatMul model), rounded up.
 */
export const SESSION_BYTES_PER_MODEL_BYTE = 1.5;

/**
 * What a loaded version costs a busy server besides its sessions: its runtime's and batcher's
 * objects, the V8 heap's room for the garbage serving it makes, and what the allocator keeps
 * between loads and unloads. Counting sessions alone let a budget of small models be exceeded
 * under concurrent traffic (BENCHMARKS.md, Many models per replica).
 */
export const VERSION_OVERHEAD_BYTES = 512 * 1024;

/**
 * The estimated memory of a version: {@link VERSION_OVERHEAD_BYTES}, plus for each onnxruntime
 * session it holds (one per inference worker thread, plus one on the main thread for models that
 * run inline, plus the probe session while it loads) its model file's bytes times
 * {@link SESSION_BYTES_PER_MODEL_BYTE} plus {@link SESSION_OVERHEAD_BYTES}.
 */
export function estimateVersionBytes(modelBytes: number, sessions: number): number {
  return Math.ceil(VERSION_OVERHEAD_BYTES + sessions * (modelBytes * SESSION_BYTES_PER_MODEL_BYTE + SESSION_OVERHEAD_BYTES));
}

/** A version the budget can account for and unload: {@link LoadedVersion} is one. */
export interface BudgetedVersion {
  readonly name: string;
  readonly version: number;
  /** True while requests run on it or wait for its load: a version just loaded for them must not go before they run. */
  readonly busy: boolean;
  /** True while it holds a runtime that can be unloaded (ready, not already leaving). */
  readonly unloadable: boolean;
  /** Frees its runtime once its requests in flight finish; it loads again on its next request. */
  unload(): Promise<void>;
}

/** Told about what the budget does, for metrics and logs. */
export interface MemoryBudgetObserver {
  /** A version was chosen to make room and is being unloaded. */
  unloading?(version: BudgetedVersion, bytes: number): void;
  /** The bytes accounted for changed (a reservation, a resize, a release). */
  usage?(usedBytes: number, residentVersions: number): void;
  /** A version's reservation was given back (unloaded, failed to load, or removed): what is attached to it should be freed. */
  released?(version: BudgetedVersion): void;
}

/** Options for {@link MemoryBudget}. */
export interface MemoryBudgetOptions {
  /** Most bytes the loaded versions may hold together, by their estimates. */
  readonly limitBytes: number;
  /** Bytes reserved with each resident version for what is attached to it, until attach() says more (default 0). */
  readonly attachedReserveBytes?: number;
  readonly observer?: MemoryBudgetObserver;
}

interface Entry {
  /** The version's own estimate (its sessions). */
  bytes: number;
  /** What other parts hold for it, by their last report (attach). */
  attached: number;
  /** Chosen to make room; its bytes count until its runtime is freed. */
  leaving: boolean;
}

/** The memory budget of one server; see the module comment. */
export class MemoryBudget {
  readonly limitBytes: number;
  readonly attachedReserveBytes: number;
  readonly #observer: MemoryBudgetObserver | undefined;
  /** Resident versions, least recently used first (a Map keeps insertion order; a use re-inserts). */
  readonly #entries = new Map<BudgetedVersion, Entry>();
  readonly #pinned = new Set<BudgetedVersion>();
  #used = 0;
  #waiters: (() => void)[] = [];
  #trimming = false;

  constructor(options: MemoryBudgetOptions) {
    this.limitBytes = options.limitBytes;
    this.attachedReserveBytes = options.attachedReserveBytes ?? 0;
    this.#observer = options.observer;
  }

  /** Bytes reserved by resident and loading versions, by their estimates. */
  get usedBytes(): number {
    return this.#used;
  }

  /** Versions holding a reservation now (resident or loading), least recently used first. */
  residents(): BudgetedVersion[] {
    return [...this.#entries.keys()];
  }

  /** Versions holding a reservation now (resident or loading). */
  get residentVersions(): number {
    return this.#entries.size;
  }

  /** True when the version holds a reservation. */
  holds(version: BudgetedVersion): boolean {
    return this.#entries.has(version);
  }

  /** Pins a version (never unloaded to make room) or unpins it. */
  setPinned(version: BudgetedVersion, pinned: boolean): void {
    if (pinned) this.#pinned.add(version);
    else if (this.#pinned.delete(version)) this.#wake();
  }

  isPinned(version: BudgetedVersion): boolean {
    return this.#pinned.has(version);
  }

  /**
   * Reserves `bytes` for a version about to load, unloading idle versions (least recently used
   * first) to make room. Waits for busy versions to go idle until `deadline` (epoch ms). Throws
   * BERTH_MODEL_MEMORY_EXHAUSTED when the version cannot fit by then, or could never fit.
   */
  async reserve(version: BudgetedVersion, bytes: number, deadline: number): Promise<void> {
    const label = `${version.name}:${version.version}`;
    for (;;) {
      const held = this.#entries.get(version);
      const attached = Math.max(held?.attached ?? 0, this.attachedReserveBytes);
      const needed = bytes + attached - (held ? this.#total(held) : 0);
      if (this.#used + needed <= this.limitBytes) {
        this.#set(version, bytes);
        return;
      }
      const pinnedBytes = this.#pinnedBytes(version);
      if (bytes + this.attachedReserveBytes + pinnedBytes > this.limitBytes) {
        throw Errors.MODEL_MEMORY_EXHAUSTED.create(label, bytes, this.limitBytes, `pinned versions hold ${pinnedBytes} bytes, so it can never fit`, { details: { bytes, limitBytes: this.limitBytes, pinnedBytes } });
      }
      const victim = this.#leastRecentlyUsedIdle(version);
      if (victim) {
        const [candidate, entry] = victim;
        entry.leaving = true;
        this.#observer?.unloading?.(candidate, this.#total(entry));
        // unload() returns the bytes through release() once the runtime is freed.
        await candidate.unload().catch(() => this.release(candidate));
        continue;
      }
      const leaving = [...this.#entries.values()].some((e) => e.leaving);
      const waitMs = deadline - Date.now();
      if (!leaving && waitMs <= 0) {
        throw Errors.MODEL_MEMORY_EXHAUSTED.create(label, bytes, this.limitBytes, 'every other loaded version is busy or pinned', {
          details: { bytes, limitBytes: this.limitBytes, usedBytes: this.#used },
        });
      }
      await this.#nextChange(leaving ? Math.max(waitMs, 1000) : waitMs);
    }
  }

  /** Sets a resident version's estimate to what it holds once loaded (or after its sessions change). */
  resize(version: BudgetedVersion, bytes: number): void {
    if (!this.#entries.has(version)) return;
    this.#set(version, bytes);
  }

  /**
   * Sets what other parts hold for a resident version now (the monitor's windows, measured). When
   * that takes the total past the limit, idle versions are unloaded (least recently used first,
   * never this one) until it fits or none is left to unload.
   */
  attach(version: BudgetedVersion, bytes: number): void {
    const entry = this.#entries.get(version);
    if (!entry || entry.attached === bytes) return;
    const before = this.#total(entry);
    entry.attached = bytes;
    this.#used += this.#total(entry) - before;
    this.#observer?.usage?.(this.#used, this.#entries.size);
    if (this.#used > this.limitBytes) void this.#trim(version);
  }

  /** Marks a version as just used: it becomes the last to be unloaded. */
  touch(version: BudgetedVersion): void {
    const entry = this.#entries.get(version);
    if (!entry || entry.leaving) return;
    this.#entries.delete(version);
    this.#entries.set(version, entry);
  }

  /** A version is no longer busy: waiting reservations may unload it now. */
  idle(_version: BudgetedVersion): void {
    if (this.#waiters.length > 0) this.#wake();
  }

  /** Returns a version's bytes: its runtime is freed (unloaded, or its load failed). */
  release(version: BudgetedVersion): void {
    const entry = this.#entries.get(version);
    if (entry) {
      this.#entries.delete(version);
      this.#used -= this.#total(entry);
      this.#observer?.usage?.(this.#used, this.#entries.size);
      this.#observer?.released?.(version);
    }
    this.#wake();
  }

  /** Forgets a version that left service for good: its bytes and its pin. */
  remove(version: BudgetedVersion): void {
    this.#pinned.delete(version);
    this.release(version);
  }

  /** What an entry counts for: its estimate and what is attached, at least the reserve. */
  #total(entry: Entry): number {
    return entry.bytes + Math.max(entry.attached, this.attachedReserveBytes);
  }

  #set(version: BudgetedVersion, bytes: number): void {
    const entry = this.#entries.get(version);
    if (entry) {
      this.#used += bytes - entry.bytes;
      entry.bytes = bytes;
    } else {
      const created = { bytes, attached: 0, leaving: false };
      this.#entries.set(version, created);
      this.#used += this.#total(created);
    }
    this.#observer?.usage?.(this.#used, this.#entries.size);
    if (entry && this.#waiters.length > 0) this.#wake();
  }

  #pinnedBytes(except: BudgetedVersion): number {
    let total = 0;
    for (const version of this.#pinned) {
      const entry = version === except ? undefined : this.#entries.get(version);
      if (entry) total += this.#total(entry);
    }
    return total;
  }

  /** Unloads idle versions but `keep` while the total is past the limit; one pass at a time. */
  async #trim(keep: BudgetedVersion): Promise<void> {
    if (this.#trimming) return;
    this.#trimming = true;
    try {
      while (this.#used > this.limitBytes) {
        const victim = this.#leastRecentlyUsedIdle(keep);
        if (!victim) return;
        const [candidate, entry] = victim;
        entry.leaving = true;
        this.#observer?.unloading?.(candidate, this.#total(entry));
        await candidate.unload().catch(() => this.release(candidate));
      }
    } finally {
      this.#trimming = false;
    }
  }

  #leastRecentlyUsedIdle(except: BudgetedVersion): [BudgetedVersion, Entry] | undefined {
    for (const [version, entry] of this.#entries) {
      if (version === except || entry.leaving || this.#pinned.has(version)) continue;
      if (!version.busy && version.unloadable) return [version, entry];
    }
    return undefined;
  }

  #nextChange(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        // After a wake the list is a new one without it; after a timeout it leaves the list.
        const index = this.#waiters.indexOf(done);
        if (index !== -1) this.#waiters.splice(index, 1);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#waiters.push(done);
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
