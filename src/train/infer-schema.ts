/**
 * Schema inference: reads a table's columns, decides each one's type (integer, number, boolean,
 * category, or free text that the model ignores), its range or categories and whether it is ever
 * missing, and decides the task from the target column.
 */
import { columnKind, defaultMaxCategories } from '../core/column-kind.js';
import { DATETIME_PARTS, formatDatetime, parseDatetime } from '../core/datetime-value.js';
import { Errors } from '../core/errors.js';
import { DEFAULT_MISSING_VALUES, type FeatureSchema, type FeatureSpec } from '../core/feature-schema.js';
import type { CsvTable } from './csv-table.js';

/** What the model learns to predict. */
export type Task = 'classification' | 'regression';

/** A column's parsed values: numbers (NaN for missing; booleans as 1/0; dates as epoch ms) or strings (null for missing). */
export type ParsedColumn =
  | { readonly name: string; readonly type: 'number' | 'integer' | 'boolean' | 'datetime'; readonly values: Float64Array }
  | { readonly name: string; readonly type: 'category' | 'string'; readonly values: readonly (string | null)[] };

/** The target column, read for the task. */
export type TargetColumn =
  | { readonly task: 'classification'; readonly name: string; readonly labels: readonly string[]; readonly classes: Int32Array }
  | { readonly task: 'regression'; readonly name: string; readonly values: Float64Array };

/** Options for {@link inferSchema}. */
export interface InferSchemaOptions {
  readonly target: string;
  readonly task?: Task | 'auto';
  /** Strings that mean "missing"; defaults to DEFAULT_MISSING_VALUES. */
  readonly missingValues?: readonly string[];
  /** Most distinct values a text column may have to be a category; default max(20, min(100, rows / 20)). */
  readonly maxCategories?: number;
  /** Most distinct integer values for an integer target to be read as classes under `task: 'auto'`; default 20. */
  readonly maxClasses?: number;
}

/** A column the schema leaves out, and why. */
export interface IgnoredColumn {
  readonly name: string;
  readonly reason: string;
}

/** The outcome of {@link inferSchema}. Rows whose target is missing are dropped from `features` and `target`. */
export interface InferredData {
  readonly schema: FeatureSchema;
  readonly features: readonly ParsedColumn[];
  readonly target: TargetColumn;
  readonly ignored: readonly IgnoredColumn[];
  /** Indices (into the table) of the rows kept: those with a target value. */
  readonly rows: Uint32Array;
  readonly droppedRows: number;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Infers the feature schema and the task from a table. */
export function inferSchema(table: CsvTable, options: InferSchemaOptions): InferredData {
  const missing = new Set(options.missingValues ?? DEFAULT_MISSING_VALUES);
  const isMissing = (s: string): boolean => missing.has(s) || s.trim() === '';
  const targetIndex = table.header.indexOf(options.target);
  if (targetIndex < 0) throw Errors.TRAIN_TARGET_NOT_FOUND.create(options.target, table.header);

  const kept: number[] = [];
  for (let r = 0; r < table.rows.length; r++) if (!isMissing(table.rows[r]![targetIndex]!)) kept.push(r);
  const rows = Uint32Array.from(kept);
  const column = (c: number): string[] => Array.from(rows, (r) => table.rows[r]![c]!);

  const target = readTarget(options, column(targetIndex));
  const maxCategories = options.maxCategories ?? defaultMaxCategories(rows.length);
  const specs: FeatureSpec[] = [];
  const features: ParsedColumn[] = [];
  const ignored: IgnoredColumn[] = [];
  for (let c = 0; c < table.header.length; c++) {
    if (c === targetIndex) continue;
    const name = table.header[c]!;
    const inferred = inferColumn(name, column(c), isMissing, maxCategories);
    if ('reason' in inferred) {
      ignored.push(inferred);
      continue;
    }
    specs.push(inferred.spec);
    features.push(inferred.column);
  }
  if (specs.length === 0) throw Errors.TRAIN_DATA_INSUFFICIENT.create('no column other than the target can be used as a feature');
  const schema: FeatureSchema = {
    format: 'berth.schema/v1',
    features: specs,
    ...(options.missingValues ? { missingValues: [...options.missingValues] } : {}),
  };
  return { schema, features, target, ignored, rows, droppedRows: table.rows.length - rows.length };
}

function inferColumn(
  name: string,
  raw: readonly string[],
  isMissing: (s: string) => boolean,
  maxCategories: number,
): { spec: FeatureSpec; column: ParsedColumn } | IgnoredColumn {
  const info = columnKind(name, raw, { isMissing, maxCategories });
  const required = info.present === raw.length;
  switch (info.kind) {
    case 'empty':
    case 'identifier':
    case 'text':
      return { name, reason: info.reason! };
    case 'number':
    case 'integer': {
      const values = new Float64Array(raw.length);
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < raw.length; i++) {
        const s = raw[i]!;
        const v = isMissing(s) ? NaN : Number(s.trim());
        values[i] = v;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      const type = info.kind;
      // The observed range is recorded for callers and the monitor; values outside it are answered
      // with a warning (or refused by a strict schema): production data drifts.
      return { spec: { name, type, required, min, max, outOfRange: 'accept' }, column: { name, type, values } };
    }
    case 'boolean': {
      const values = Float64Array.from(raw, (s) => (isMissing(s) ? NaN : s.trim().toLowerCase() === 'true' ? 1 : 0));
      return { spec: { name, type: 'boolean', required }, column: { name, type: 'boolean', values } };
    }
    case 'datetime': {
      const values = Float64Array.from(raw, (s) => (isMissing(s) ? NaN : parseDatetime(s)!.ms));
      let min = Infinity;
      let max = -Infinity;
      for (const v of values) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      // The hour of a column of dates alone is always 0: a constant the model cannot use.
      const parts = DATETIME_PARTS.filter((part) => part !== 'hour' || info.hasTime === true);
      const spec: FeatureSpec = { name, type: 'datetime', required, min: formatDatetime(min), max: formatDatetime(max), parts };
      return { spec, column: { name, type: 'datetime', values } };
    }
    case 'category': {
      const values = raw.map((s) => (isMissing(s) ? null : s));
      const categories = sortLabels(new Set(values.filter((v): v is string => v !== null)));
      // Unseen categories are answered with a warning; the pipeline encodes them as none of the known.
      return { spec: { name, type: 'category', required, categories, outOfRange: 'accept' }, column: { name, type: 'category', values } };
    }
  }
}

/** Most classes a classifier is trained on: each costs a model per boosting round. */
export const MAX_CLASSES = 200;
/** A target with more classes than this, most of them seen once or twice, is an identifier. */
const ID_LIKE_MIN_CLASSES = 50;
const ID_LIKE_SHARE = 0.5;

function readTarget(options: InferSchemaOptions, raw: readonly string[]): TargetColumn {
  const name = options.target;
  if (raw.length === 0) throw Errors.TRAIN_TARGET_INVALID.create(name, 'every value is missing');
  const trimmed = raw.map((s) => s.trim());
  const numeric = trimmed.every((s) => DECIMAL.test(s));
  let task = options.task ?? 'auto';
  if (task === 'auto') {
    const distinct = new Set(trimmed);
    const integers = numeric && trimmed.every((s) => Number.isInteger(Number(s)));
    task = !numeric || (integers && distinct.size <= (options.maxClasses ?? 20)) ? 'classification' : 'regression';
  }
  if (task === 'regression') {
    if (!numeric) {
      const bad = trimmed.find((s) => !DECIMAL.test(s))!;
      throw Errors.TRAIN_TARGET_INVALID.create(name, `regression needs numbers, but it holds '${bad}'`);
    }
    return { task, name, values: Float64Array.from(trimmed, Number) };
  }
  const labels = sortLabels(new Set(trimmed));
  if (labels.length < 2) throw Errors.TRAIN_TARGET_INVALID.create(name, `classification needs at least two classes, but it only holds '${labels[0]}'`);
  // An identifier chosen as the target makes one class per row: training would run for hours.
  if (labels.length > ID_LIKE_MIN_CLASSES && labels.length > trimmed.length * ID_LIKE_SHARE) {
    throw Errors.TRAIN_TARGET_INVALID.create(
      name,
      `${labels.length} of its ${trimmed.length} values are distinct, so it looks like an identifier, not something to predict; choose another column as the target${numeric ? ', or --task regression if it is a quantity' : ''}`,
    );
  }
  if (labels.length > MAX_CLASSES) {
    throw Errors.TRAIN_TARGET_INVALID.create(
      name,
      `it has ${labels.length} classes, more than the ${MAX_CLASSES} Berth trains on; group rare classes together${numeric ? ', or use --task regression if it is a quantity' : ''}`,
    );
  }
  const index = new Map(labels.map((l, i) => [l, i]));
  return { task, name, labels, classes: Int32Array.from(trimmed, (s) => index.get(s)!) };
}

/**
 * Orders labels and categories: numerically when every one reads as a number, else by code unit
 * (the order Python's sorted() gives for ASCII, which the sklearn reference relies on).
 */
export function sortLabels(values: Iterable<string>): string[] {
  const list = [...values];
  const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  if (list.every((v) => DECIMAL.test(v.trim()))) return list.sort((a, b) => Number(a) - Number(b) || byText(a, b));
  return list.sort(byText);
}

/** A parsed column as plain values, `null` where missing (the form profile builders take). */
export function columnValues(column: ParsedColumn): (number | string | null)[] {
  if (column.type === 'category' || column.type === 'string') return [...column.values];
  return Array.from(column.values as Float64Array, (v) => (Number.isNaN(v) ? null : v));
}
