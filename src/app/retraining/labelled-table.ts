/**
 * Labelled traffic as training data: the rows the payload log joined with feedback, checked
 * against the champion's schema and written as CSV in the columns of its original training data,
 * so the trainer reads both the same way. The checks are the faults retraining must refuse before
 * any training: too few rows, a single class, and logged data whose shape no longer fits.
 */
import { stringify } from 'csv-stringify/sync';
import { Errors } from '../../core/errors.js';
import type { FeatureSchema } from '../../core/feature-schema.js';
import type { LabelledRow } from '../../monitor/index.js';

/** What the labelled rows are checked against. */
export interface LabelledTableOptions {
  readonly model: string;
  /** The champion's version number, for messages. */
  readonly version: number;
  /** The columns of the champion's training data, in order (features, the target, columns training ignored). */
  readonly header: readonly string[];
  readonly target: string;
  readonly task: 'classification' | 'regression';
  /** A classifier's classes (the champion's labels); a truth outside them is a change of schema. */
  readonly classes?: readonly string[] | undefined;
  readonly schema: FeatureSchema;
  /** Fewest rows accepted. */
  readonly minRows: number;
  /** The window, for messages (`the last 7d`). */
  readonly window: string;
}

/** Labelled rows as CSV text. */
export interface LabelledTable {
  /** CSV with a header row: the original columns, the truth in the target column. */
  readonly csv: string;
  readonly rows: number;
  /** Rows per class (classifiers). */
  readonly classes?: Readonly<Record<string, number>>;
}

/**
 * Checks the rows and writes them as CSV. Throws BERTH_RETRAIN_TOO_FEW_ROWS,
 * BERTH_RETRAIN_SINGLE_CLASS (classifiers) and BERTH_RETRAIN_SCHEMA_CHANGED (a feature missing
 * from the logged rows, a value of the wrong kind, or a truth that is none of a classifier's classes).
 */
export function labelledTable(rows: readonly LabelledRow[], options: LabelledTableOptions): LabelledTable {
  const { model, version, schema } = options;
  if (rows.length < options.minRows) throw Errors.RETRAIN_TOO_FEW_ROWS.create(model, rows.length, options.minRows, options.window);
  const problems = schemaProblems(rows, schema);
  if (problems.length > 0) throw Errors.RETRAIN_SCHEMA_CHANGED.create(model, version, problems.slice(0, 5).join('; '));

  const truths = rows.map((row) => String(row.actual));
  let classes: Record<string, number> | undefined;
  if (options.task === 'classification') {
    classes = {};
    for (const truth of truths) classes[truth] = (classes[truth] ?? 0) + 1;
    const labels = Object.keys(classes);
    const known = options.classes;
    const unknown = known === undefined ? [] : labels.filter((label) => !known.includes(label));
    if (unknown.length > 0) {
      const named = unknown.slice(0, 5).map((label) => `'${label}' (${classes![label]} rows)`).join(', ');
      throw Errors.RETRAIN_SCHEMA_CHANGED.create(model, version, `the feedback holds ${unknown.length === 1 ? 'a class' : 'classes'} the champion does not have: ${named}; its classes are ${known!.map((c) => `'${c}'`).join(', ')}`);
    }
    if (labels.length < 2) throw Errors.RETRAIN_SINGLE_CLASS.create(model, labels[0] ?? '', rows.length);
  } else {
    const bad = truths.findIndex((t) => !Number.isFinite(Number(t)) || t.trim() === '');
    if (bad >= 0) throw Errors.RETRAIN_SCHEMA_CHANGED.create(model, version, `the feedback of request ${rows[bad]!.requestId} is '${truths[bad]}', not a number`);
  }
  const records = rows.map((row, i) =>
    options.header.map((column) => (column === options.target ? truths[i]! : cell(row.features[column]))),
  );
  const csv = stringify([options.header as string[], ...records]);
  return { csv, rows: rows.length, ...(classes ? { classes } : {}) };
}

/**
 * What no longer fits: features the rows lack and values of another kind. Fields the schema does
 * not know are served with a warning, so alone they are no change; beside a missing feature they
 * are named, as they are likely its new name.
 */
function schemaProblems(rows: readonly LabelledRow[], schema: FeatureSchema): string[] {
  const known = new Set(schema.features.map((f) => f.name));
  const missing = new Map<string, number>();
  const unknown = new Map<string, number>();
  const wrongKind = new Map<string, string>();
  for (const row of rows) {
    for (const feature of schema.features) {
      if (!Object.hasOwn(row.features, feature.name)) missing.set(feature.name, (missing.get(feature.name) ?? 0) + 1);
      else if (!wrongKind.has(feature.name) && !fits(feature.type, row.features[feature.name])) wrongKind.set(feature.name, JSON.stringify(row.features[feature.name]));
    }
    for (const field of Object.keys(row.features)) if (!known.has(field)) unknown.set(field, (unknown.get(field) ?? 0) + 1);
  }
  return [
    ...[...missing].map(([name, n]) => `feature '${name}' is missing from ${n} of ${rows.length} rows`),
    ...(missing.size > 0 ? [...unknown].map(([name, n]) => `field '${name}', which the schema does not know, is in ${n} rows`) : []),
    ...[...wrongKind].map(([name, value]) => `feature '${name}' holds ${value}, which is not a value of its type`),
  ];
}

/** Whether a logged value can be a value of a feature of `type` (missing always can). */
function fits(type: FeatureSchema['features'][number]['type'], value: unknown): boolean {
  if (value === null || value === undefined || value === '') return true;
  if (type === 'number' || type === 'integer') return typeof value === 'number' || (typeof value === 'string' && Number.isFinite(Number(value)));
  if (type === 'boolean') return typeof value === 'boolean' || value === 0 || value === 1 || (typeof value === 'string' && /^(true|false|yes|no|0|1)$/i.test(value));
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** A logged value as a CSV field: missing is empty. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : String(value);
}
