/**
 * A replica's shadow comparisons: windows held in memory while requests come (one per model,
 * shadow and window start), written to the metadata database every few seconds as this replica's
 * rows, and reports merged from every replica's rows, so whichever replica asks (a rollout's lease
 * holder, say) sees the comparisons of all.
 */
import { parseTimeRange } from './time-range.js';
import { ComparisonWindow, type ComparisonSketchesData, comparisonReport, type ShadowComparisonReport } from './shadow-comparison.js';
import type { ComparisonRecord, ShadowComparisonStore } from '../store/index.js';
import { IntervalTasks } from './interval-tasks.js';
import { iso } from './window-store.js';

/** How often old windows are deleted, ms. */
const PRUNE_EVERY_MS = 3_600_000;
/** Default report span: the last hour. */
const DEFAULT_REPORT_SPAN_MS = 3_600_000;

/** Options of {@link ShadowComparisons}. */
export interface ShadowComparisonsOptions {
  readonly store: ShadowComparisonStore;
  /** Window length, ms (the monitor's). */
  readonly windowMs: number;
  /** This replica's name in stored rows. */
  readonly replica: string;
  /** How often windows in memory are written, ms; 0: only on flush() and close(). */
  readonly flushMs: number;
  /** How long stored windows are kept, ms (the monitor's window retention); older ones are deleted now and then. */
  readonly retentionMs: number;
  /** Told when a write failed (the windows stay in memory and are written at the next try). */
  readonly onError: (error: unknown) => void;
  readonly now?: () => number;
}

/** Shadow comparisons of one replica; see the module comment. */
export class ShadowComparisons {
  readonly #options: ShadowComparisonsOptions;
  readonly #now: () => number;
  readonly #tasks: IntervalTasks;
  #live = new Map<string, { model: string; shadow: number; start: number; window: ComparisonWindow }>();
  /** Flushes run one after another, so a window is never written twice at once. */
  #flushing: Promise<void> = Promise.resolve();

  constructor(options: ShadowComparisonsOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#tasks = new IntervalTasks(options.onError);
    if (options.flushMs > 0) this.#tasks.every(options.flushMs, () => this.flush());
    this.#tasks.every(PRUNE_EVERY_MS, () => this.deleteBefore(this.#now() - options.retentionMs));
  }

  /** The window in memory that comparisons of `shadow` of `model` made now go to. */
  window(model: string, shadow: number): ComparisonWindow {
    const windowMs = this.#options.windowMs;
    const start = Math.floor(this.#now() / windowMs) * windowMs;
    const key = `${model}\u0000${shadow}\u0000${start}`;
    let live = this.#live.get(key);
    if (!live) {
      live = { model, shadow, start, window: new ComparisonWindow() };
      this.#live.set(key, live);
    }
    return live.window;
  }

  /** Writes the windows in memory; on failure they are kept (merged with what came since) for the next try. */
  flush(): Promise<void> {
    const run = this.#flushing.then(async () => {
      if (this.#live.size === 0) return;
      const taken = this.#live;
      this.#live = new Map();
      const records: ComparisonRecord[] = [...taken.values()].map(({ model, shadow, start, window }) => ({
        model,
        shadow,
        start,
        windowMs: this.#options.windowMs,
        ...window.counts(),
        sketches: JSON.stringify(window.sketches()),
      }));
      try {
        await this.#options.store.write(this.#options.replica, records, mergeRecords, this.#now());
      } catch (error) {
        for (const [key, live] of taken) {
          const newer = this.#live.get(key);
          this.#live.set(key, newer ? { ...live, window: live.window.merge(newer.window) } : live);
        }
        throw error;
      }
    });
    this.#flushing = run.catch(() => undefined);
    return run;
  }

  /**
   * The comparison of `shadow` with the versions that answered, over a range (`from` and `to` as
   * the monitor's reports take them; default the last hour), merged from every replica's windows
   * after this replica's are written.
   */
  async report(model: string, shadow: number, query: { readonly from?: unknown; readonly to?: unknown } = {}): Promise<ShadowComparisonReport> {
    await this.flush();
    const range = parseTimeRange(query, this.#now(), this.#options.windowMs, DEFAULT_REPORT_SPAN_MS);
    const merged = new ComparisonWindow();
    for (const record of await this.#options.store.read(model, shadow, range.from, range.to)) merged.merge(windowOf(record));
    return comparisonReport(model, shadow, { from: iso(range.from), to: iso(range.to) }, merged);
  }

  /** Whether any replica has recorded comparisons of `shadow` since `from` (epoch ms). */
  async hasRecords(model: string, shadow: number, from: number): Promise<boolean> {
    await this.flush();
    return (await this.#options.store.read(model, shadow, from, this.#now() + this.#options.windowMs)).length > 0;
  }

  /** Deletes windows that started before `before` (retention). */
  deleteBefore(before: number): Promise<number> {
    return this.#options.store.deleteBefore(before);
  }

  /** Stops the timer and writes what is in memory. */
  async close(): Promise<void> {
    await this.#tasks.close();
    await this.flush().catch(this.#options.onError);
  }
}

function windowOf(record: ComparisonRecord): ComparisonWindow {
  return new ComparisonWindow(record, JSON.parse(record.sketches) as ComparisonSketchesData);
}

function mergeRecords(stored: ComparisonRecord, incoming: ComparisonRecord): ComparisonRecord {
  const window = windowOf(stored).merge(windowOf(incoming));
  return { ...incoming, ...window.counts(), sketches: JSON.stringify(window.sketches()) };
}
