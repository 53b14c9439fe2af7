/**
 * The sketches of one window of traffic for one model version: a sketch per input feature and per
 * model output, and the number of rows recorded. Recording a row is O(features) counter updates;
 * the JSON form is what a replica stores per window, and windows (of several replicas, or of
 * consecutive minutes) merge into one for a report.
 */
import { Errors } from '../core/errors.js';
import { type CategoricalSketch } from './categorical-sketch.js';
import { createSketch, mergeSketchData, type SketchData, type SketchOptions } from './feature-sketch.js';
import { type FeatureSpec, type MonitorSchema, toMonitorSchema } from './feature-spec.js';
import { type NumericSketch } from './numeric-sketch.js';
import { mergeOutlierCounts, type OutlierCountsData } from './outlier-counts.js';
import { mergeScoreHistograms, type ScoreHistogramsData } from './score-histograms.js';

/** Serialised sketches of a window. Records are keyed by feature and output name. */
export interface WindowSketchesData {
  /** Rows recorded (predictions served). */
  readonly rows: number;
  /** Rows whose values the sketches hold, when fewer than `rows` (large requests are sampled); absent: every row. */
  readonly rowsSampled?: number;
  readonly features: Readonly<Record<string, SketchData>>;
  readonly outputs: Readonly<Record<string, SketchData>>;
  /** Outlier counts against the reference profile; absent when the version has none (or in windows stored before). */
  readonly outliers?: OutlierCountsData;
  /** A classifier's probability histograms, for performance estimation; absent unless its profile has a calibration. */
  readonly scores?: ScoreHistogramsData;
}

type Sketch = NumericSketch | CategoricalSketch;

/** Accumulates the sketches of one window. */
export class WindowSketches {
  private rows = 0;
  private readonly features: readonly (readonly [string, Sketch])[];
  private readonly outputs: readonly (readonly [string, Sketch])[];

  constructor(schema: MonitorSchema | readonly FeatureSpec[], options: SketchOptions = {}) {
    const { features, outputs = [] } = toMonitorSchema(schema);
    this.features = sketchesFor(features, options, 'feature');
    this.outputs = sketchesFor(outputs, options, 'output');
  }

  /**
   * Records one prediction: the row's feature values and, when given, the model's outputs for it.
   * A feature absent from the row is counted as missing; fields the schema does not name are ignored.
   */
  record(row: Readonly<Record<string, unknown>>, outputs?: Readonly<Record<string, unknown>>): void {
    this.rows += 1;
    for (const [name, sketch] of this.features) sketch.add(Object.hasOwn(row, name) ? row[name] : undefined);
    if (outputs !== undefined) {
      for (const [name, sketch] of this.outputs) sketch.add(Object.hasOwn(outputs, name) ? outputs[name] : undefined);
    }
  }

  /** The JSON form (a copy). */
  toJSON(): WindowSketchesData {
    return {
      rows: this.rows,
      features: Object.fromEntries(this.features.map(([name, sketch]) => [name, sketch.toJSON()])),
      outputs: Object.fromEntries(this.outputs.map(([name, sketch]) => [name, sketch.toJSON()])),
    };
  }
}

/**
 * Merges windows into one: rows add up, sketches of the same name merge, a name present in only
 * some windows keeps the sketches it has. Throws BERTH_MONITOR_DATA_INVALID when a name is
 * numeric in one window and categorical in another.
 */
export function mergeWindows(windows: readonly WindowSketchesData[]): WindowSketchesData {
  const outliers = mergeOutlierCounts(windows.map((w) => w.outliers));
  const scores = mergeScoreHistograms(windows.map((w) => w.scores));
  const rows = windows.reduce((sum, w) => sum + w.rows, 0);
  const rowsSampled = windows.reduce((sum, w) => sum + sampledRowsOf(w), 0);
  return {
    rows,
    ...(rowsSampled < rows ? { rowsSampled } : {}),
    features: mergeRecords(windows.map((w) => w.features)),
    outputs: mergeRecords(windows.map((w) => w.outputs ?? {})),
    ...(outliers !== undefined ? { outliers } : {}),
    ...(scores !== undefined ? { scores } : {}),
  };
}

/** Rows whose values a window's sketches hold. */
export function sampledRowsOf(window: Pick<WindowSketchesData, 'rows' | 'rowsSampled'>): number {
  return window.rowsSampled ?? window.rows;
}

/** An empty window for a schema (what a report sees when no traffic came). */
export function emptyWindow(schema: MonitorSchema | readonly FeatureSpec[], options: SketchOptions = {}): WindowSketchesData {
  return new WindowSketches(schema, options).toJSON();
}

function mergeRecords(records: readonly Readonly<Record<string, SketchData>>[]): Record<string, SketchData> {
  const merged = new Map<string, SketchData>();
  for (const record of records) {
    for (const [name, sketch] of Object.entries(record)) {
      const existing = merged.get(name);
      merged.set(name, existing === undefined ? sketch : mergeSketchData(existing, sketch));
    }
  }
  return Object.fromEntries(merged);
}

function sketchesFor(specs: readonly FeatureSpec[], options: SketchOptions, role: string): (readonly [string, Sketch])[] {
  const seen = new Set<string>();
  return specs.map((spec) => {
    if (seen.has(spec.name)) throw Errors.MONITOR_DATA_INVALID.create('The monitor schema', `${role} '${spec.name}' appears twice`);
    seen.add(spec.name);
    if (spec.kind !== 'numeric' && spec.kind !== 'categorical') {
      throw Errors.MONITOR_DATA_INVALID.create('The monitor schema', `${role} '${spec.name}' has kind '${String(spec.kind)}', not numeric or categorical`);
    }
    return [spec.name, createSketch(spec, options)] as const;
  });
}
