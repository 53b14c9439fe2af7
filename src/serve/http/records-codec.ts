/**
 * The body formats of named-feature prediction, to rows (one object of feature → value per row):
 * `{"records": [...]}`, `{"columns": {...}}`, MLflow's `{"dataframe_split": ...}`,
 * `{"dataframe_records": [...]}` and `{"instances"|"inputs": ...}`, and `text/csv` with a header row.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { Errors } from '../../core/errors.js';
import type { PipelineOutput } from '../../core/pipeline-spec.js';
import type { Prediction } from '../../core/prediction.js';

/** How a records body is written: JSON in one of the accepted shapes, or CSV with a header row. */
export type RecordsFormat = 'json' | 'csv';

/** What a records answer says before its predictions (the route's response schema, in its order). */
export interface RecordsAnswerHead {
  readonly model: string;
  readonly version: number;
  readonly requestId: string;
}

/**
 * The JSON a records answer takes: `/api/models/{ref}/predict`'s (its head, the predictions,
 * then any warnings), or MLflow's `{"predictions": [...]}` of one label or value per row.
 */
export type RecordsAnswerForm =
  | { readonly kind: 'records'; readonly head: RecordsAnswerHead; readonly warnings: readonly string[] }
  | { readonly kind: 'mlflow' };

/**
 * About how many bytes of JSON a records answer of `rows` rows takes, at most: a prediction names
 * its label and each class with a probability (a float32 printed as a double takes up to 20
 * characters); MLflow's, the label or the value alone.
 */
export function recordsAnswerBytes(rows: number, output: PipelineOutput, form: RecordsAnswerForm['kind'] = 'records'): number {
  if (output.task === 'regression') return rows * (form === 'mlflow' ? 24 : 32);
  if (form === 'mlflow') return rows * (Math.max(...output.labels.map((l) => l.length)) + 3);
  let perRow = 32;
  for (const label of output.labels) perRow += label.length * 2 + 24;
  return rows * perRow;
}

/** MLflow's prediction of a row: the label of a classifier, the value of a regressor. */
export function mlflowPrediction(prediction: Prediction): string | number {
  return 'value' in prediction ? prediction.value : prediction.label;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const FORMATS = '{"records": [...]}, {"columns": {...}}, {"dataframe_split": {"columns", "data"}}, {"dataframe_records": [...]}, {"instances": ...} or text/csv';

function fromColumns(columns: Record<string, unknown>, where: string): Record<string, unknown>[] {
  const names = Object.keys(columns);
  let length: number | undefined;
  for (const name of names) {
    const values = columns[name];
    if (!Array.isArray(values)) throw Errors.REQUEST_INVALID.create(`${where} column '${name}' must be an array of values`);
    if (length !== undefined && values.length !== length) {
      throw Errors.REQUEST_INVALID.create(`${where} columns have different lengths ('${name}' has ${values.length}, others ${length})`);
    }
    length = values.length;
  }
  return Array.from({ length: length ?? 0 }, (_, i) => Object.fromEntries(names.map((n) => [n, (columns[n] as unknown[])[i]])));
}

/** Rows from a JSON body in any of the accepted shapes. */
export function rowsFromJson(body: unknown): unknown[] {
  if (!isObject(body)) throw Errors.REQUEST_INVALID.create(`the body must be one of ${FORMATS}`);
  if (body.records !== undefined) {
    if (!Array.isArray(body.records)) throw Errors.REQUEST_INVALID.create("'records' must be an array of objects");
    return body.records;
  }
  if (body.dataframe_records !== undefined) {
    if (!Array.isArray(body.dataframe_records)) throw Errors.REQUEST_INVALID.create("'dataframe_records' must be an array of objects");
    return body.dataframe_records;
  }
  // MLflow's scoring protocol also takes rows as `instances` or `inputs`: records, or columns.
  for (const key of ['instances', 'inputs'] as const) {
    const value = body[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) return value;
    if (isObject(value)) return fromColumns(value, `'${key}'`);
    throw Errors.REQUEST_INVALID.create(`'${key}' must be an array of objects or an object of feature name to array of values`);
  }
  if (body.columns !== undefined) {
    if (!isObject(body.columns)) throw Errors.REQUEST_INVALID.create("'columns' must be an object of feature name to array of values");
    return fromColumns(body.columns, "'columns'");
  }
  if (body.dataframe_split !== undefined) {
    const split = body.dataframe_split;
    if (!isObject(split) || !Array.isArray(split.columns) || !Array.isArray(split.data)) {
      throw Errors.REQUEST_INVALID.create("'dataframe_split' must be {\"columns\": [names], \"data\": [[values], ...]}");
    }
    const columns = split.columns as unknown[];
    if (!columns.every((c) => typeof c === 'string')) throw Errors.REQUEST_INVALID.create("'dataframe_split.columns' must be strings");
    return (split.data as unknown[]).map((row, i) => {
      if (!Array.isArray(row) || row.length !== columns.length) {
        throw Errors.REQUEST_INVALID.create(`'dataframe_split.data' row ${i} must be an array of ${columns.length} values`);
      }
      return Object.fromEntries(columns.map((c, j) => [c as string, row[j]]));
    });
  }
  throw Errors.REQUEST_INVALID.create(`the body must be one of ${FORMATS}`);
}

/** Rows from CSV text with a header row; every value is a string (the schema parses them). */
export function rowsFromCsv(text: string): unknown[] {
  try {
    return parseCsv(text, { columns: true, skip_empty_lines: true, bom: true, trim: false }) as unknown[];
  } catch (error) {
    throw Errors.REQUEST_INVALID.create(`the CSV body cannot be read: ${(error as Error).message}`);
  }
}
