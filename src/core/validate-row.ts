/**
 * Checking rows of named features against a feature schema. Rows come from JSON (typed values) or
 * from CSV (every value a string); both end as the same typed values, so a row scored from a file
 * and the same row sent as JSON reach the pipeline identically.
 */
import { parseDatetime } from './datetime-value.js';
import { type BerthError, type ErrorExtras, Errors } from './errors.js';
import { DEFAULT_MISSING_VALUES, type FeatureSchema, type FeatureSpec } from './feature-schema.js';

/**
 * A checked feature value: numbers for number/integer, booleans, strings for category/string,
 * epoch milliseconds (UTC) for datetime; null when missing.
 */
export type FeatureValue = number | boolean | string | null;

/** A value a row was answered with although training never saw it (a schema without `strict`). */
export interface ValueWarning {
  readonly row: number;
  readonly feature: string;
  readonly kind: 'unseen-category' | 'out-of-range';
  readonly value: string | number;
}

/** Options for {@link RowValidator}. */
export interface RowValidatorOptions {
  /** How messages name a row; defaults to `row <index>` (counted from 0). */
  readonly describeRow?: (index: number) => string;
}

/** The outcome of {@link validateRows}. */
export interface ValidatedRows {
  /** Per row, one value per schema feature, in schema order. */
  readonly values: FeatureValue[][];
  /** Fields that rows carried but the schema does not know; they were ignored. */
  readonly unknownFields: readonly string[];
}

// A decimal number as text; stricter than Number(), which also reads '0x1f', ' ' and 'Infinity'.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const TRUE_WORDS = new Set(['true', 'yes', '1']);
const FALSE_WORDS = new Set(['false', 'no', '0']);

/**
 * Checks rows one at a time against a schema. Build one per schema and reuse it: it precomputes
 * the lookups every row needs.
 *
 * @example
 *   const validator = new RowValidator(schema);
 *   const values = validator.validate({ age: 41, region: 'north' }, 0); // [41, 'north']
 */
export class RowValidator {
  readonly #schema: FeatureSchema;
  readonly #missing: ReadonlySet<string>;
  readonly #categories: readonly (ReadonlySet<string> | undefined)[];
  readonly #known: ReadonlySet<string>;
  readonly #describe: (index: number) => string;
  readonly #strict: boolean;

  constructor(schema: FeatureSchema, options: RowValidatorOptions = {}) {
    this.#strict = schema.strict === true;
    this.#schema = schema;
    this.#missing = new Set(schema.missingValues ?? DEFAULT_MISSING_VALUES);
    this.#categories = schema.features.map((f) => (f.type === 'category' ? new Set(f.categories) : undefined));
    this.#known = new Set(schema.features.map((f) => f.name));
    this.#describe = options.describeRow ?? ((index) => `row ${index}`);
  }

  /**
   * Returns the row's values in schema order, or throws a BERTH_SCHEMA_* error whose message names
   * the row and feature (and whose `details` carry `row` and `feature`). Values accepted although
   * outside what training saw (unseen categories, numbers outside `min`/`max`) are pushed to
   * `warnings` when given.
   */
  validate(row: unknown, index: number, warnings?: ValueWarning[]): FeatureValue[] {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw Errors.SCHEMA_ROW_INVALID.create(this.#describe(index), { details: { row: index } });
    }
    const record = row as Readonly<Record<string, unknown>>;
    const features = this.#schema.features;
    const out = new Array<FeatureValue>(features.length);
    for (let i = 0; i < features.length; i++) {
      const feature = features[i]!;
      const raw = Object.hasOwn(record, feature.name) ? record[feature.name] : undefined;
      out[i] = this.#value(feature, raw, index, this.#categories[i], warnings);
    }
    return out;
  }

  /** The fields of a row that the schema does not know. */
  unknownFields(row: unknown): string[] {
    if (row === null || typeof row !== 'object') return [];
    return Object.keys(row).filter((k) => !this.#known.has(k));
  }

  #value(feature: FeatureSpec, raw: unknown, index: number, categories: ReadonlySet<string> | undefined, warnings: ValueWarning[] | undefined): FeatureValue {
    if (raw === undefined || raw === null || (typeof raw === 'string' && (this.#missing.has(raw) || raw.trim() === ''))) {
      if (feature.required) throw Errors.SCHEMA_FEATURE_MISSING.create(this.#describe(index), feature.name, this.#at(index, feature));
      return null;
    }
    switch (feature.type) {
      case 'number':
      case 'integer': {
        let n: number;
        if (typeof raw === 'number') {
          if (!Number.isFinite(raw)) throw Errors.SCHEMA_NUMBER_INVALID.create(this.#describe(index), feature.name, String(raw), this.#at(index, feature));
          n = raw;
        } else if (typeof raw === 'string') {
          const text = raw.trim();
          if (!DECIMAL.test(text)) throw Errors.SCHEMA_NUMBER_INVALID.create(this.#describe(index), feature.name, raw, this.#at(index, feature));
          n = Number(text);
          if (!Number.isFinite(n)) throw Errors.SCHEMA_NUMBER_INVALID.create(this.#describe(index), feature.name, raw, this.#at(index, feature));
        } else {
          throw this.#mismatch(feature, 'a number', raw, index);
        }
        if (feature.type === 'integer' && !Number.isInteger(n)) throw this.#mismatch(feature, 'an integer', raw, index);
        return this.#inRange(feature, n, index, warnings);
      }
      case 'boolean': {
        if (typeof raw === 'boolean') return raw;
        if (raw === 1 || raw === 0) return raw === 1;
        if (typeof raw === 'string') {
          const word = raw.trim().toLowerCase();
          if (TRUE_WORDS.has(word)) return true;
          if (FALSE_WORDS.has(word)) return false;
        }
        throw this.#mismatch(feature, 'a boolean (true/false, 1/0, yes/no)', raw, index);
      }
      case 'category': {
        let text: string;
        if (typeof raw === 'string') text = raw;
        else if (typeof raw === 'number' && Number.isFinite(raw)) text = String(raw);
        else throw this.#mismatch(feature, 'a category (a string)', raw, index);
        if (!categories!.has(text)) {
          if (feature.outOfRange === 'reject' || this.#strict) {
            throw Errors.SCHEMA_CATEGORY_UNKNOWN.create(this.#describe(index), feature.name, text, feature.categories, this.#at(index, feature));
          }
          warnings?.push({ row: index, feature: feature.name, kind: 'unseen-category', value: text });
        }
        return text;
      }
      case 'datetime': {
        const parsed = typeof raw === 'string' ? parseDatetime(raw) : undefined;
        if (parsed === undefined) throw this.#mismatch(feature, 'an ISO 8601 date or date-time (2024-03-07, 2024-03-07T14:05:00Z)', raw, index);
        return parsed.ms;
      }
      case 'string': {
        let text: string;
        if (typeof raw === 'string') text = raw;
        else if (typeof raw === 'number' && Number.isFinite(raw)) text = String(raw);
        else throw this.#mismatch(feature, 'a string', raw, index);
        if (feature.maxLength !== undefined && text.length > feature.maxLength) {
          const expected = `a string of at most ${feature.maxLength} characters`;
          throw Errors.SCHEMA_TYPE_MISMATCH.create(this.#describe(index), feature.name, expected, `${text.length} characters`, this.#at(index, feature));
        }
        return text;
      }
    }
  }

  #inRange(feature: FeatureSpec & { type: 'number' | 'integer' }, n: number, index: number, warnings: ValueWarning[] | undefined): number {
    const { min, max } = feature;
    const below = min !== undefined && n < min;
    const above = max !== undefined && n > max;
    if (!below && !above) return n;
    if (feature.outOfRange === 'clip') return below ? min! : max!;
    if (feature.outOfRange === 'accept' && !this.#strict) {
      warnings?.push({ row: index, feature: feature.name, kind: 'out-of-range', value: n });
      return n;
    }
    const range = `[${min ?? '-∞'}, ${max ?? '∞'}]`;
    throw Errors.SCHEMA_OUT_OF_RANGE.create(this.#describe(index), feature.name, n, range, this.#at(index, feature));
  }

  #mismatch(feature: FeatureSpec, expected: string, raw: unknown, index: number): BerthError {
    return Errors.SCHEMA_TYPE_MISMATCH.create(this.#describe(index), feature.name, expected, describeValue(raw), this.#at(index, feature));
  }

  /** The details every error about one field of one row carries. */
  #at(index: number, feature: FeatureSpec): ErrorExtras {
    return { details: { row: index, feature: feature.name } };
  }
}

/**
 * Checks every row against the schema; see {@link RowValidator}. Unknown fields are collected
 * (first appearance order) rather than refused, so callers can report them as a warning.
 */
export function validateRows(schema: FeatureSchema, rows: readonly unknown[], options: RowValidatorOptions = {}): ValidatedRows {
  const validator = new RowValidator(schema, options);
  const values: FeatureValue[][] = new Array(rows.length);
  const unknown = new Set<string>();
  for (let i = 0; i < rows.length; i++) {
    values[i] = validator.validate(rows[i], i);
    for (const field of validator.unknownFields(rows[i])) unknown.add(field);
  }
  return { values, unknownFields: [...unknown] };
}

function describeValue(raw: unknown): string {
  if (typeof raw === 'string') return `the string '${raw.length > 40 ? `${raw.slice(0, 40)}…` : raw}'`;
  if (typeof raw === 'number' || typeof raw === 'boolean') return `${typeof raw} ${String(raw)}`;
  if (Array.isArray(raw)) return 'an array';
  if (raw === null) return 'null';
  return typeof raw === 'object' ? 'an object' : typeof raw;
}

/**
 * Value warnings summed up as one message per feature and kind, for a response's `warnings` or a
 * batch's report: a thousand rows with the same unseen category make one line, with a count and
 * examples. Keeps a few values per group, never the rows themselves.
 *
 * @example
 *   const summary = new ValueWarningSummary();
 *   for (const w of warnings) summary.add(w);
 *   summary.messages(schema);
 *   // ["feature 'contract': 'three-year' is a category never seen in training (1 row, first row 0); ..."]
 */
export class ValueWarningSummary {
  readonly #groups = new Map<string, { first: ValueWarning; rows: number; values: Set<string> }>();

  add(warning: ValueWarning): void {
    const key = `${warning.kind}\u0000${warning.feature}`;
    const group = this.#groups.get(key);
    if (group === undefined) this.#groups.set(key, { first: warning, rows: 1, values: new Set([String(warning.value)]) });
    else {
      group.rows += 1;
      if (group.values.size < 3) group.values.add(String(warning.value));
    }
  }

  /** One message per feature and kind, in the order first seen. */
  messages(schema: FeatureSchema): string[] {
    return [...this.#groups.values()].map(({ first, rows, values }) => {
      const feature = schema.features.find((f) => f.name === first.feature);
      const shown = [...values].map((v) => (first.kind === 'unseen-category' ? `'${v}'` : v)).join(', ');
      const where = `${rows} row${rows === 1 ? '' : 's'}, first row ${first.row}`;
      const range = feature?.type === 'number' || feature?.type === 'integer' ? `[${feature.min ?? '-∞'}, ${feature.max ?? '∞'}]` : '';
      const what =
        first.kind === 'unseen-category'
          ? `${shown} ${values.size === 1 ? 'is a category' : 'are categories'} never seen in training (${where}); answered as none of the known categories`
          : `${shown} ${values.size === 1 ? 'is' : 'are'} outside the training range ${range} (${where}); the answer is an extrapolation`;
      return `feature '${first.feature}': ${what}. A schema with "strict": true refuses such values`;
    });
  }
}

/** The messages of {@link ValueWarningSummary} for a list of warnings. */
export function describeValueWarnings(schema: FeatureSchema, warnings: readonly ValueWarning[]): string[] {
  const summary = new ValueWarningSummary();
  for (const warning of warnings) summary.add(warning);
  return summary.messages(schema);
}
