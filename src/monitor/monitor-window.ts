/**
 * What a replica keeps and stores per model version and window: request, row and error counts, a
 * quantile sketch of latencies, and the feature and output sketches. Windows merge exactly (counts
 * add, sketches merge), so the windows of several replicas and of consecutive minutes make one.
 */
import { CategoricalSketch } from './categorical-sketch.js';
import { type SketchData } from './feature-sketch.js';
import { type FeatureKind } from './feature-spec.js';
import { KllSketch, type KllSketchData } from './kll-sketch.js';
import { NumericSketch } from './numeric-sketch.js';
import { type WindowSketchesData } from './window-sketches.js';

/** The serialised state of one window (or of several merged). */
export interface MonitorWindowData {
  /** Requests of any outcome. */
  readonly requests: number;
  /** Rows answered: the rows of successful requests. Equal to `sketches.rows`. */
  readonly rows: number;
  readonly clientErrors: number;
  readonly serverErrors: number;
  /** Request latencies in ms. */
  readonly latency: KllSketchData;
  readonly sketches: WindowSketchesData;
}

type Sketch = NumericSketch | CategoricalSketch;

/**
 * Merges windows in place, without re-serialising after each one (merging a day of one-minute
 * windows is then linear in their size). A sketch whose kind differs from the kind already merged
 * under its name, or from `kinds` when given (the reference profile's), is left out and its name
 * listed in `conflicts`: a report stays possible when one replica inferred a kind differently.
 */
export class MonitorWindowMerger {
  private requests = 0;
  private rows = 0;
  private clientErrors = 0;
  private serverErrors = 0;
  private latency: KllSketch | undefined;
  private readonly features = new Map<string, Sketch>();
  private readonly outputs = new Map<string, Sketch>();
  private readonly conflictNames = new Set<string>();

  constructor(private readonly kinds?: ReadonlyMap<string, FeatureKind>) {}

  /** Adds one window. */
  add(window: MonitorWindowData): this {
    this.requests += window.requests;
    this.rows += window.rows;
    this.clientErrors += window.clientErrors;
    this.serverErrors += window.serverErrors;
    if (window.latency.n > 0) {
      if (this.latency === undefined) this.latency = KllSketch.fromJSON(window.latency);
      else this.latency.merge(window.latency);
    }
    this.mergeFamily(this.features, window.sketches.features);
    this.mergeFamily(this.outputs, window.sketches.outputs ?? {});
    return this;
  }

  /** Names left out because their kinds disagreed. */
  get conflicts(): readonly string[] {
    return [...this.conflictNames];
  }

  /** The merged window. */
  result(): MonitorWindowData {
    return {
      requests: this.requests,
      rows: this.rows,
      clientErrors: this.clientErrors,
      serverErrors: this.serverErrors,
      latency: (this.latency ?? new KllSketch()).toJSON(),
      sketches: { rows: this.rows, features: serialise(this.features), outputs: serialise(this.outputs) },
    };
  }

  private mergeFamily(target: Map<string, Sketch>, sketches: Readonly<Record<string, SketchData>>): void {
    for (const [name, data] of Object.entries(sketches)) {
      const wanted = this.kinds?.get(name);
      const existing = target.get(name);
      if ((wanted !== undefined && wanted !== data.kind) || (existing !== undefined && kindOf(existing) !== data.kind)) {
        this.conflictNames.add(name);
        continue;
      }
      if (existing === undefined) target.set(name, data.kind === 'numeric' ? NumericSketch.fromJSON(data) : CategoricalSketch.fromJSON(data));
      else if (existing instanceof NumericSketch && data.kind === 'numeric') existing.merge(data);
      else if (existing instanceof CategoricalSketch && data.kind === 'categorical') existing.merge(data);
    }
  }
}

/** Merges windows (see MonitorWindowMerger). */
export function mergeMonitorWindows(windows: Iterable<MonitorWindowData>, kinds?: ReadonlyMap<string, FeatureKind>): MonitorWindowData {
  const merger = new MonitorWindowMerger(kinds);
  for (const window of windows) merger.add(window);
  return merger.result();
}

/** A window with no traffic. */
export function emptyMonitorWindow(): MonitorWindowData {
  return new MonitorWindowMerger().result();
}

function kindOf(sketch: Sketch): FeatureKind {
  return sketch instanceof NumericSketch ? 'numeric' : 'categorical';
}

function serialise(sketches: ReadonlyMap<string, Sketch>): Record<string, SketchData> {
  return Object.fromEntries([...sketches].map(([name, sketch]) => [name, sketch.toJSON()]));
}
