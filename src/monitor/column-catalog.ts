/**
 * The columns the monitor sketches for one model version, and how each is measured. Columns the
 * version declares (from its reference profile, schema and pipeline) are known up front, so a
 * request that lacks one counts it as missing. Other columns (OIP tensor columns, fields of a
 * version without a schema) are taken on first sight, their kind read from the first value
 * present: numbers and booleans are measured, strings counted as categories. The catalog outlives
 * windows, so a column keeps its kind from one window to the next.
 */
import { type FeatureKind, type FeatureSpec, type MonitorSchema } from './feature-spec.js';
import { type OutlierReference } from './outlier-reference.js';

/** Whether a column is an input feature or a model output. */
export type ColumnRole = 'feature' | 'output';

/** The columns of one model version. */
export class ColumnCatalog {
  /** Declared features and outputs, sketched in every window. */
  readonly declared: { readonly feature: readonly FeatureSpec[]; readonly output: readonly FeatureSpec[] };
  /** The reference's outlier checks, when the version has a profile. */
  readonly outliers: OutlierReference | undefined;
  /** The classes whose probabilities are kept in histograms (see MonitorSchema.classes). */
  readonly classes: readonly string[] | undefined;
  private readonly known: { readonly feature: Map<string, FeatureSpec>; readonly output: Map<string, FeatureSpec> };
  /** Input columns the schema leaves out on purpose (dates, identifiers): never taken on sight. */
  private readonly skipped: ReadonlySet<string>;
  private count: number;
  private droppedNames = 0;

  constructor(
    schema: MonitorSchema | undefined,
    private readonly maxColumns: number,
  ) {
    const features = (schema?.features ?? []).slice(0, maxColumns);
    const outputs = (schema?.outputs ?? []).slice(0, Math.max(0, maxColumns - features.length));
    this.declared = { feature: features, output: outputs };
    this.known = { feature: new Map(features.map((f) => [f.name, f])), output: new Map(outputs.map((f) => [f.name, f])) };
    this.count = features.length + outputs.length;
    this.skipped = new Set((schema?.skipped ?? []).map((c) => c.name));
    this.outliers = schema?.outliers;
    this.classes = schema?.classes;
  }

  /**
   * The spec of a column, learning it from `values` when new; undefined when the catalog is full
   * (the column is then not sketched) or when `values` holds nothing to tell its kind by yet.
   */
  specOf(role: ColumnRole, name: string, values: readonly unknown[]): FeatureSpec | undefined {
    const known = this.known[role].get(name);
    if (known !== undefined) return known;
    if (role === 'feature' && this.skipped.has(name)) return undefined;
    if (this.count >= this.maxColumns) {
      this.droppedNames += 1;
      return undefined;
    }
    const kind = inferKind(values);
    if (kind === undefined) return undefined;
    const spec: FeatureSpec = { name, kind };
    this.known[role].set(name, spec);
    this.count += 1;
    return spec;
  }

  /** How many times a column was left out because the catalog was full. */
  get dropped(): number {
    return this.droppedNames;
  }
}

/** The kind of the first value present: numbers, booleans and bigints are numeric, strings categorical. */
export function inferKind(values: readonly unknown[]): FeatureKind | undefined {
  for (const value of values) {
    switch (typeof value) {
      case 'number':
        if (Number.isNaN(value)) continue;
        return 'numeric';
      case 'boolean':
      case 'bigint':
        return 'numeric';
      case 'string':
        if (value === '') continue;
        return 'categorical';
      default:
        continue;
    }
  }
  return undefined;
}
