/**
 * One window of one model version's traffic, accumulating in memory: the hot path of monitoring.
 * Recording a request is O(features + outputs) per row: a counter update and a sketch update per
 * value, and with a reference profile an outlier check per feature and a histogram update per
 * class; no allocation per value.
 */
import { type CategoricalSketch } from './categorical-sketch.js';
import { type ColumnCatalog, type ColumnRole } from './column-catalog.js';
import { createSketch, type SketchOptions } from './feature-sketch.js';
import { KllSketch } from './kll-sketch.js';
import { type MonitorWindowData } from './monitor-window.js';
import { type NumericSketch } from './numeric-sketch.js';
import { OutlierCounts } from './outlier-counts.js';
import { ScoreHistograms } from './score-histograms.js';
import { type Columns, type PredictionEvent } from './prediction-event.js';
import { LIVE_WINDOW_BYTES, WINDOW_COLUMN_BYTES } from './window-footprint.js';

interface Entry {
  readonly sketch: NumericSketch | CategoricalSketch;
  /** The request that last touched it, so declared columns a request lacks are counted missing. */
  stamp: number;
}

/** Rows of one request that the sketches take at most; a larger request is sampled down to this. */
export const MAX_SKETCHED_ROWS = 1024;

/** The in-memory state of one window. */
export class LiveWindow {
  private requests = 0;
  private rows = 0;
  /** Rows whose values went into the sketches. */
  private rowsSampled = 0;
  /** The window's own seeded generator of sample offsets, so a replay records the same rows. */
  private seed: number;
  private clientErrors = 0;
  private serverErrors = 0;
  private readonly latency: KllSketch;
  private readonly columns: { readonly feature: Map<string, Entry>; readonly output: Map<string, Entry> };
  /** The same entries as a list, iterated on every request without allocating an iterator. */
  private readonly lists: { readonly feature: Entry[]; readonly output: Entry[] };
  /**
   * The columns of recent requests by position, with their entries.
   * The requests of a version carry the same columns in the same order, so a name is compared
   * with the one last seen at its position instead of being looked up.
   */
  private readonly recent = { feature: { names: [] as string[], entries: [] as Entry[] }, output: { names: [] as string[], entries: [] as Entry[] } };
  private stamp = 0;
  /** Outlier scores against the reference; undefined when the version has none. */
  private readonly outliers: OutlierCounts | undefined;
  /** Probability histograms for performance estimation; undefined unless the version has a calibration. */
  private readonly scores: ScoreHistograms | undefined;

  constructor(
    /** Window start, epoch ms. */
    readonly start: number,
    private readonly catalog: ColumnCatalog,
    private readonly options: SketchOptions,
  ) {
    this.latency = new KllSketch(options.k);
    this.seed = start >>> 0 || 1;
    const entries = (role: ColumnRole) => new Map(catalog.declared[role].map((spec) => [spec.name, { sketch: createSketch(spec, options), stamp: 0 }]));
    this.columns = { feature: entries('feature'), output: entries('output') };
    this.lists = { feature: [...this.columns.feature.values()], output: [...this.columns.output.values()] };
    this.outliers = catalog.outliers !== undefined ? new OutlierCounts(catalog.outliers) : undefined;
    this.scores = catalog.classes !== undefined ? new ScoreHistograms(catalog.classes) : undefined;
  }

  /** Records one request. Failed requests count as requests and errors only. */
  record(event: PredictionEvent): void {
    this.requests += 1;
    const latency = event.latencyMs;
    if (latency >= 0 && Number.isFinite(latency)) this.latency.update(latency);
    if (event.outcome !== 'success') {
      if (event.outcome === 'client_error') this.clientErrors += 1;
      else this.serverErrors += 1;
      return;
    }
    const rows = event.rows > 0 ? Math.floor(event.rows) : 0;
    this.rows += rows;
    this.stamp += 1;
    // A large request is sketched from a systematic sample of its rows (each row equally likely),
    // so recording it costs the same as a request of MAX_SKETCHED_ROWS rows.
    const picked = rows > MAX_SKETCHED_ROWS ? this.sampleRows(rows) : undefined;
    let features = event.features;
    let outputs = event.outputs;
    if (event.rowColumns !== undefined) {
      // Only the sampled rows of a large request are made into values.
      ({ features, outputs } = event.rowColumns.read(picked ?? { from: 0, to: rows }));
    } else if (picked) {
      features = pickRows(features, picked, rows);
      outputs = pickRows(outputs, picked, rows);
    }
    const sketched = picked ? picked.length : rows;
    this.rowsSampled += sketched;
    this.addColumns('feature', features, sketched);
    this.addColumns('output', outputs, sketched);
    this.outliers?.record(features, sketched);
    this.scores?.record(outputs, sketched);
  }

  /** MAX_SKETCHED_ROWS row indices of `rows`, one in each of as many equal strides, from a seeded offset. */
  private sampleRows(rows: number): Uint32Array {
    // xorshift32: a fixed sequence per window, cheap, and good enough to place an offset.
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    const stride = rows / MAX_SKETCHED_ROWS;
    const offset = (this.seed / 2 ** 32) * stride;
    const picked = new Uint32Array(MAX_SKETCHED_ROWS);
    for (let k = 0; k < MAX_SKETCHED_ROWS; k++) picked[k] = Math.min(rows - 1, Math.floor(offset + k * stride));
    return picked;
  }

  /** True when nothing was recorded. */
  get empty(): boolean {
    return this.requests === 0;
  }

  /** Roughly the bytes of memory it holds, its sketches' included (see window-footprint.ts). */
  estimatedBytes(): number {
    let bytes = LIVE_WINDOW_BYTES + this.latency.estimatedBytes();
    for (const list of [this.lists.feature, this.lists.output]) for (const entry of list) bytes += WINDOW_COLUMN_BYTES + entry.sketch.estimatedBytes();
    return bytes + (this.outliers?.estimatedBytes() ?? 0) + (this.scores?.estimatedBytes() ?? 0);
  }

  /** The window's data (a copy). */
  toData(): MonitorWindowData {
    const serialise = (role: ColumnRole) => Object.fromEntries([...this.columns[role]].map(([name, entry]) => [name, entry.sketch.toJSON()]));
    return {
      requests: this.requests,
      rows: this.rows,
      clientErrors: this.clientErrors,
      serverErrors: this.serverErrors,
      latency: this.latency.toJSON(),
      sketches: {
        rows: this.rows,
        ...(this.rowsSampled < this.rows ? { rowsSampled: this.rowsSampled } : {}),
        features: serialise('feature'),
        outputs: serialise('output'),
        ...(this.outliers !== undefined ? { outliers: this.outliers.toJSON() } : {}),
        ...(this.scores !== undefined && !this.scores.empty ? { scores: this.scores.toJSON() } : {}),
      },
    };
  }

  /** The entry of a column, created when the catalog takes it; undefined when it does not. */
  private entryOf(role: ColumnRole, name: string, values: unknown): Entry | undefined {
    const entries = this.columns[role];
    let entry = entries.get(name);
    if (entry === undefined && Array.isArray(values)) {
      const spec = this.catalog.specOf(role, name, values);
      if (spec === undefined) return undefined;
      // A column first seen now was not there for earlier rows: its counts start here.
      entry = { sketch: createSketch(spec, this.options), stamp: 0 };
      entries.set(name, entry);
      this.lists[role].push(entry);
    }
    return entry;
  }

  private addColumns(role: ColumnRole, columns: Columns | undefined, rows: number): void {
    const stamp = this.stamp;
    if (columns !== undefined) {
      const recent = this.recent[role];
      let position = 0;
      // Events are plain objects built by the data plane: no inherited keys to skip.
      for (const name in columns) {
        const values = columns[name];
        let entry: Entry | undefined;
        if (recent.names[position] === name) entry = recent.entries[position];
        else {
          entry = this.entryOf(role, name, values);
          if (entry !== undefined) {
            recent.names[position] = name;
            recent.entries[position] = entry;
          }
        }
        position += 1;
        if (entry === undefined || !Array.isArray(values)) continue;
        entry.stamp = stamp;
        const sketch = entry.sketch;
        const n = values.length < rows ? values.length : rows;
        for (let i = 0; i < n; i++) sketch.add(values[i]);
        for (let i = n; i < rows; i++) sketch.add(undefined);
      }
    }
    // Declared columns the request did not carry are missing in each of its rows.
    const list = this.lists[role];
    for (let e = 0; e < list.length; e++) {
      const entry = list[e]!;
      if (entry.stamp === stamp) continue;
      entry.stamp = stamp;
      for (let i = 0; i < rows; i++) entry.sketch.add(undefined);
    }
  }
}

/** The values of `columns` at the rows `picked` (a column shorter than `rows` gives missing values past its end). */
function pickRows(columns: Columns | undefined, picked: Uint32Array, rows: number): Columns | undefined {
  if (columns === undefined) return undefined;
  const out: Record<string, unknown[]> = {};
  for (const name in columns) {
    const values = columns[name];
    if (!Array.isArray(values)) continue;
    const column = new Array<unknown>(picked.length);
    for (let k = 0; k < picked.length; k++) {
      const i = picked[k]!;
      column[k] = i < values.length && i < rows ? values[i] : undefined;
    }
    out[name] = column;
  }
  return out;
}
