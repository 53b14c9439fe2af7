/**
 * Checking rows of named features against a feature schema. Rows come from JSON (typed values) or
 * from CSV (every value a string); both end as the same typed values, so a row scored from a file
 * and the same row sent as JSON reach the pipeline identically.
 */
import { type BerthError, type ErrorExtras, Errors } from './errors.js';
import { DEFAULT_MISSING_VALUES, type FeatureSchema, type FeatureSpec } from './feature-schema.js';

/** A checked feature value: numbers for number/integer, booleans, strings for category/string; null when missing. */
export type FeatureValue = number | boolean | string | null;

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

  constructor(schema: FeatureSchema, options: RowValidatorOptions = {}) {
    this.#schema = schema;
    this.#missing = new Set(schema.missingValues ?? DEFAULT_MISSING_VALUES);
    this.#categories = schema.features.map((f) => (f.type === 'category' ? new Set(f.categories) : undefined));
    this.#known = new Set(schema.features.map((f) => f.name));
    this.#describe = options.describeRow ?? ((index) => `row ${index}`);
  }

  /**
   * Returns the row's values in schema order, or throws a BERTH_SCHEMA_* error whose message names
   * the row and feature (and whose `details` carry `row` and `feature`).
   */
  validate(row: unknown, index: number): FeatureValue[] {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw Errors.SCHEMA_ROW_INVALID.create(this.#describe(index), { details: { row: index } });
    }
    const record = row as Readonly<Record<string, unknown>>;
    const features = this.#schema.features;
    const out = new Array<FeatureValue>(features.length);
    for (let i = 0; i < features.length; i++) {
      const feature = features[i]!;
      const raw = Object.hasOwn(record, feature.name) ? record[feature.name] : undefined;
      out[i] = this.#value(feature, raw, index, this.#categories[i]);
    }
    return out;
  }

  /** The fields of a row that the schema does not know. */
  unknownFields(row: unknown): string[] {
    if (row === null || typeof row !== 'object') return [];
    return Object.keys(row).filter((k) => !this.#known.has(k));
  }

  #value(feature: FeatureSpec, raw: unknown, index: number, categories: ReadonlySet<string> | undefined): FeatureValue {
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
        return this.#inRange(feature, n, index);
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
        if (!categories!.has(text) && feature.outOfRange === 'reject') {
          throw Errors.SCHEMA_CATEGORY_UNKNOWN.create(this.#describe(index), feature.name, text, feature.categories, this.#at(index, feature));
        }
        return text;
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

  #inRange(feature: FeatureSpec & { type: 'number' | 'integer' }, n: number, index: number): number {
    const { min, max } = feature;
    const below = min !== undefined && n < min;
    const above = max !== undefined && n > max;
    if (!below && !above) return n;
    if (feature.outOfRange === 'clip') return below ? min! : max!;
    if (feature.outOfRange === 'accept') return n;
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
