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
import { mergeOutlierCounts, type OutlierCountsData } from './outlier-counts.js';
import { mergeScoreHistograms, type ScoreHistogramsData } from './score-histograms.js';
import { sampledRowsOf, type WindowSketchesData } from './window-sketches.js';

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

/** The traffic part of a window: counts and latencies, without the feature sketches. */
export type WindowTraffic = Pick<MonitorWindowData, 'requests' | 'rows' | 'clientErrors' | 'serverErrors' | 'latency'>;

/** Traffic of windows added together: counts add, latency sketches merge. */
export class TrafficTotals {
  requests = 0;
  rows = 0;
  clientErrors = 0;
  serverErrors = 0;
  /** The merged latency sketch; undefined until a window with latencies is added. */
  latency: KllSketch | undefined;

  /** Adds one window's traffic. */
  add(traffic: WindowTraffic): void {
    this.requests += traffic.requests;
    this.rows += traffic.rows;
    this.clientErrors += traffic.clientErrors;
    this.serverErrors += traffic.serverErrors;
    if (traffic.latency.n > 0) {
      if (this.latency === undefined) this.latency = KllSketch.fromJSON(traffic.latency);
      else this.latency.merge(traffic.latency);
    }
  }
}

/**
 * Merges windows in place, without re-serialising after each one (merging a day of one-minute
 * windows is then linear in their size). A sketch whose kind differs from the kind already merged
 * under its name, or from `kinds` when given (the reference profile's), is left out and its name
 * listed in `conflicts`: a report stays possible when one replica inferred a kind differently.
 */
export class MonitorWindowMerger {
  private readonly traffic = new TrafficTotals();
  private readonly features = new Map<string, Sketch>();
  private readonly outputs = new Map<string, Sketch>();
  private readonly conflictNames = new Set<string>();
  private outliers: OutlierCountsData | undefined;
  private readonly scores: ScoreHistogramsData[] = [];
  private rowsSampled = 0;

  constructor(private readonly kinds?: ReadonlyMap<string, FeatureKind>) {}

  /** Adds one window. */
  add(window: MonitorWindowData): this {
    this.traffic.add(window);
    this.rowsSampled += sampledRowsOf(window.sketches);
    this.mergeFamily(this.features, window.sketches.features);
    this.mergeFamily(this.outputs, window.sketches.outputs ?? {});
    if (window.sketches.outliers !== undefined) this.outliers = mergeOutlierCounts([this.outliers, window.sketches.outliers]);
    if (window.sketches.scores !== undefined) this.scores.push(window.sketches.scores);
    return this;
  }

  /** Names left out because their kinds disagreed. */
  get conflicts(): readonly string[] {
    return [...this.conflictNames];
  }

  /** The merged window. */
  result(): MonitorWindowData {
    const t = this.traffic;
    const scores = mergeScoreHistograms(this.scores);
    return {
      requests: t.requests,
      rows: t.rows,
      clientErrors: t.clientErrors,
      serverErrors: t.serverErrors,
      latency: (t.latency ?? new KllSketch()).toJSON(),
      sketches: {
        rows: t.rows,
        ...(this.rowsSampled < t.rows ? { rowsSampled: this.rowsSampled } : {}),
        features: serialise(this.features),
        outputs: serialise(this.outputs),
        ...(this.outliers !== undefined ? { outliers: this.outliers } : {}),
        ...(scores !== undefined ? { scores } : {}),
      },
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
