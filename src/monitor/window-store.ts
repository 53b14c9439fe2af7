/**
 * Windows as the monitor stores them (through the store's MonitorWindowStore): each replica writes
 * its own rows (model, version, window start, replica), so replicas never contend; a report reads
 * every replica's rows for a range and merges them. Writing a window that is already stored (a late
 * request after its window was flushed, or a restarted replica reusing its id) merges into the
 * stored row.
 */
import type { MonitorWindowStore, WindowQuery, WindowRecord, WindowRole } from '../store/index.js';
import { type KllSketchData } from './kll-sketch.js';
import { mergeMonitorWindows, type MonitorWindowData } from './monitor-window.js';
import { type WindowSketchesData } from './window-sketches.js';

/** One window of one version as a replica flushes it. */
export interface WindowToStore {
  readonly model: string;
  readonly version: string;
  /** Window start, epoch ms. */
  readonly start: number;
  readonly windowMs: number;
  /** `shadow`: copies the version ran as a deployment's shadow; default `served`. */
  readonly role?: WindowRole;
  readonly data: MonitorWindowData;
}

/** A stored window's counts and latencies (sketches left out: traffic reports do not need them). */
export interface StoredWindowCounts {
  readonly version: string;
  readonly start: number;
  readonly windowMs: number;
  readonly requests: number;
  readonly rows: number;
  readonly clientErrors: number;
  readonly serverErrors: number;
  readonly latency: KllSketchData;
}

/** A stored window in full. */
export interface StoredWindow extends StoredWindowCounts {
  readonly data: MonitorWindowData;
}

/** Writes windows as `replica`'s, merging into rows already stored; one transaction. */
export async function writeWindows(store: MonitorWindowStore, replica: string, windows: readonly WindowToStore[], now: number): Promise<void> {
  const rows = windows.map((w) => ({ model: w.model, version: w.version, start: w.start, windowMs: w.windowMs, role: w.role ?? 'served', ...recordOf(w.data) }));
  await store.write(replica, rows, (stored, incoming) => recordOf(mergeMonitorWindows([dataOf(stored), dataOf(incoming)])), now);
}

/** Counts and latencies of the stored windows a query selects, oldest first. */
export async function readWindowCounts(store: MonitorWindowStore, query: WindowQuery): Promise<StoredWindowCounts[]> {
  return (await store.readCounts(query)).map((row) => ({ ...row, latency: JSON.parse(row.latency) as KllSketchData }));
}

/**
 * Visits the stored windows a query selects, oldest first, reading a page of rows at a time and
 * parsing one row at a time, so that a report over a long range holds merged sketches rather than
 * the JSON of every window.
 */
export async function forEachWindow(store: MonitorWindowStore, query: WindowQuery, visit: (window: StoredWindow) => void): Promise<void> {
  await store.forEach(query, (row) => {
    const data = dataOf(row);
    const { sketches: _sketches, ...counts } = row;
    visit({ ...counts, latency: data.latency, data });
  });
}

/** Epoch ms as ISO 8601 UTC text, as reports show times. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function recordOf(data: MonitorWindowData): Pick<WindowRecord, 'requests' | 'rows' | 'clientErrors' | 'serverErrors' | 'latency' | 'sketches'> {
  return {
    requests: data.requests,
    rows: data.rows,
    clientErrors: data.clientErrors,
    serverErrors: data.serverErrors,
    latency: JSON.stringify(data.latency),
    sketches: JSON.stringify(data.sketches),
  };
}

function dataOf(row: Pick<WindowRecord, 'requests' | 'rows' | 'clientErrors' | 'serverErrors' | 'latency' | 'sketches'>): MonitorWindowData {
  return {
    requests: row.requests,
    rows: row.rows,
    clientErrors: row.clientErrors,
    serverErrors: row.serverErrors,
    latency: JSON.parse(row.latency) as KllSketchData,
    sketches: JSON.parse(row.sketches) as WindowSketchesData,
  };
}
