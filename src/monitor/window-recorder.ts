/**
 * This replica's windows in memory: every prediction is recorded into the live window of its model,
 * version, role (served, or a shadow's copies) and window start (the hot path, synchronous and
 * O(features) per row); closed windows are written to the store by `flush`, and until then reports
 * see them through `snapshot`.
 */
import type { MonitorWindowStore, WindowRole } from '../store/index.js';
import { ColumnCatalog } from './column-catalog.js';
import { type MonitorSchema } from './feature-spec.js';
import { LiveWindow } from './live-window.js';
import { type LiveWindowSnapshot } from './monitor-reports.js';
import { type PredictionEvent } from './prediction-event.js';
import { ReadWriteLock } from './read-write-lock.js';
import { type WindowToStore, writeWindows } from './window-store.js';

/** Options of {@link WindowRecorder}. */
export interface WindowRecorderOptions {
  readonly store: MonitorWindowStore;
  /** This replica's name in stored windows. */
  readonly replica: string;
  readonly windowMs: number;
  /** How often open windows are written so far (see MonitorConfig.openWindowFlushMs); default never. */
  readonly openFlushMs?: number;
  readonly maxColumns: number;
  readonly sketchK: number;
  readonly maxCategories: number;
  /** The columns a version declares, asked once per version (undefined: learnt as they come). */
  readonly declaredColumns: (model: string, version: string) => MonitorSchema | undefined;
  readonly now: () => number;
}

/** How late a request may arrive for its window before the window is written (ms). */
const WINDOW_GRACE_MS = 1000;

interface WindowEntry {
  readonly model: string;
  readonly version: string;
  readonly role: WindowRole;
  readonly window: LiveWindow;
  readonly catalog: ColumnCatalog;
}

/** The replica's live windows, and their writing. */
export class WindowRecorder {
  readonly #options: WindowRecorderOptions;
  readonly #windows = new Map<string, WindowEntry>();
  readonly #catalogs = new Map<string, ColumnCatalog>();
  /** Windows taken out of memory whose write failed; retried on the next flush, still reported. */
  #unflushed: WindowToStore[] = [];
  #last: WindowEntry | undefined;
  #openFlushedAt: number;
  readonly #lock = new ReadWriteLock();

  constructor(options: WindowRecorderOptions) {
    this.#options = options;
    this.#openFlushedAt = options.now();
  }

  /** Records one prediction into its window (`shadow`: a copy a shadow ran). Throws only on a malformed event. */
  record(event: PredictionEvent, role: WindowRole = 'served'): void {
    const windowMs = this.#options.windowMs;
    const start = event.at - (event.at % windowMs);
    let entry = this.#last;
    if (entry === undefined || entry.window.start !== start || entry.model !== event.model || entry.version !== event.version || entry.role !== role) {
      entry = this.#entryFor(event.model, event.version, role, start);
      this.#last = entry;
    }
    entry.window.record(event);
  }

  /**
   * Writes closed windows (every window with `all`), and every openFlushMs what the open ones hold
   * so far: the stored window merges it, and the open window starts again empty, so a crash loses
   * only what came since. A window whose write fails is kept for the next flush (and reports still
   * see it); the error is thrown.
   */
  async flush(all: boolean): Promise<void> {
    await this.#lock.write(async () => {
      const now = this.#options.now();
      const closedBefore = now - WINDOW_GRACE_MS;
      const windowMs = this.#options.windowMs;
      const openFlushMs = this.#options.openFlushMs;
      const open = all || (openFlushMs !== undefined && now - this.#openFlushedAt >= openFlushMs);
      if (open) this.#openFlushedAt = now;
      const taken: WindowToStore[] = [];
      for (const [key, entry] of this.#windows) {
        const closed = all || entry.window.start + windowMs <= closedBefore;
        if (!closed && !open) continue;
        if (closed) this.#windows.delete(key);
        else if (entry.window.empty) continue;
        else {
          const fresh = { ...entry, window: new LiveWindow(entry.window.start, entry.catalog, this.#sketchOptions()) };
          this.#windows.set(key, fresh);
          if (this.#last === entry) this.#last = fresh;
        }
        if (this.#last === entry) this.#last = undefined;
        if (!entry.window.empty) taken.push({ model: entry.model, version: entry.version, role: entry.role, start: entry.window.start, windowMs, data: entry.window.toData() });
      }
      const toWrite = [...this.#unflushed, ...taken];
      this.#unflushed = [];
      try {
        await writeWindows(this.#options.store, this.#options.replica, toWrite, this.#options.now());
      } catch (error) {
        this.#unflushed = toWrite;
        throw error;
      }
    });
  }

  /**
   * Writes a version's windows (every role and start, open ones included) and frees them with its
   * column catalog: for a version that left memory (unloaded under a memory budget), whose
   * windows would otherwise wait for their minute to close. A later request opens a new window,
   * which the stored one merges. A failed write is kept for the next flush, as in `flush`.
   */
  async retire(model: string, version: string): Promise<void> {
    await this.#lock.write(async () => {
      const taken: WindowToStore[] = [];
      for (const [key, entry] of this.#windows) {
        if (entry.model !== model || entry.version !== version) continue;
        this.#windows.delete(key);
        if (this.#last === entry) this.#last = undefined;
        if (!entry.window.empty) taken.push({ model, version, role: entry.role, start: entry.window.start, windowMs: this.#options.windowMs, data: entry.window.toData() });
      }
      this.#catalogs.delete(`${model}\u0000${version}`);
      if (taken.length === 0) return;
      try {
        await writeWindows(this.#options.store, this.#options.replica, taken, this.#options.now());
      } catch (error) {
        this.#unflushed.push(...taken);
        throw error;
      }
    });
  }

  /** Estimated bytes of the windows in memory, by model and version (key `model\u0000version`); see window-footprint.ts. */
  bytesByVersion(): Map<string, number> {
    const bytes = new Map<string, number>();
    for (const entry of this.#windows.values()) {
      const key = `${entry.model}\u0000${entry.version}`;
      bytes.set(key, (bytes.get(key) ?? 0) + entry.window.estimatedBytes());
    }
    return bytes;
  }

  /** Runs a read of stored and in-memory windows so that no flush moves a window in the middle of it. */
  consistentRead<T>(read: () => Promise<T>): Promise<T> {
    return this.#lock.read(read);
  }

  /** Copies of the model's windows of `role` in memory (unwritten ones included) whose start is in [from, to). */
  snapshot(model: string, from: number, to: number, role: WindowRole = 'served'): LiveWindowSnapshot[] {
    const out: LiveWindowSnapshot[] = [];
    for (const entry of this.#windows.values()) {
      if (entry.model === model && entry.role === role && entry.window.start >= from && entry.window.start < to && !entry.window.empty) {
        out.push({ version: entry.version, start: entry.window.start, data: entry.window.toData() });
      }
    }
    for (const w of this.#unflushed) {
      if (w.model === model && (w.role ?? 'served') === role && w.start >= from && w.start < to) out.push({ version: w.version, start: w.start, data: w.data });
    }
    return out;
  }

  /** Models with windows in memory. */
  models(): Set<string> {
    return new Set([...[...this.#windows.values()].map((e) => e.model), ...this.#unflushed.map((w) => w.model)]);
  }

  #sketchOptions() {
    return { k: this.#options.sketchK, maxCategories: this.#options.maxCategories };
  }

  #entryFor(model: string, version: string, role: WindowRole, start: number): WindowEntry {
    const key = `${model}\u0000${version}\u0000${role}\u0000${start}`;
    let entry = this.#windows.get(key);
    if (entry === undefined) {
      const catalogKey = `${model}\u0000${version}`;
      let catalog = this.#catalogs.get(catalogKey);
      if (catalog === undefined) {
        catalog = new ColumnCatalog(this.#options.declaredColumns(model, version), this.#options.maxColumns);
        this.#catalogs.set(catalogKey, catalog);
      }
      entry = { model, version, role, catalog, window: new LiveWindow(start, catalog, this.#sketchOptions()) };
      this.#windows.set(key, entry);
    }
    return entry;
  }
}
