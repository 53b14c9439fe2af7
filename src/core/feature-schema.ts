/**
 * The feature schema: the named, typed features a caller sends to a model, as plain
 * JSON-serialisable data. A bundle carries one; `validateRow` checks rows against it and the
 * pipeline turns the checked rows into tensors.
 *
 * @example
 *   const schema: FeatureSchema = {
 *     format: 'berth.schema/v1',
 *     features: [
 *       { name: 'age', type: 'integer', required: true, min: 18, max: 100, outOfRange: 'clip' },
 *       { name: 'region', type: 'category', required: false, categories: ['north', 'south'], outOfRange: 'accept' },
 *     ],
 *   };
 */
import { z } from 'zod';
import { DATETIME_PARTS, type DatetimePart, parseDatetime } from './datetime-value.js';
import { Errors } from './errors.js';

/** The kinds of value a feature holds. */
export const FEATURE_TYPES = ['number', 'integer', 'boolean', 'category', 'datetime', 'string'] as const;

/** The kind of value a feature holds. */
export type FeatureType = (typeof FEATURE_TYPES)[number];

/**
 * What happens to a value outside a feature's range or categories: `reject` fails the row,
 * `clip` moves a number to the nearest bound, `accept` passes it on (the pipeline then decides,
 * for categories through its unseen-category policy).
 */
export type OutOfRangePolicy = 'reject' | 'clip' | 'accept';

interface FeatureBase {
  readonly name: string;
  /** A required feature must be present and not missing in every row; optional ones are imputed. */
  readonly required: boolean;
  readonly description?: string;
}

/** A real-valued or integer feature. */
export interface NumericFeature extends FeatureBase {
  readonly type: 'number' | 'integer';
  readonly min?: number;
  readonly max?: number;
  readonly outOfRange: OutOfRangePolicy;
}

/** A true/false feature; accepts true/false, 1/0 and the strings true/false/yes/no/1/0. */
export interface BooleanFeature extends FeatureBase {
  readonly type: 'boolean';
}

/** A feature from a known set of categories. */
export interface CategoryFeature extends FeatureBase {
  readonly type: 'category';
  readonly categories: readonly string[];
  /** `clip` is not meaningful for categories and is refused by {@link parseFeatureSchema}. */
  readonly outOfRange: Exclude<OutOfRangePolicy, 'clip'>;
}

/**
 * A date or date-time sent as ISO 8601 text (`2024-03-07`, `2024-03-07T14:05:00Z`); a time without
 * a zone is UTC. The model does not see the text but the numbers `parts` derives from it (see
 * src/core/datetime-value.ts), which the schema lists so callers know what the model uses.
 */
export interface DatetimeFeature extends FeatureBase {
  readonly type: 'datetime';
  /** The earliest and latest values seen in training, as ISO text; for people, never enforced. */
  readonly min?: string;
  readonly max?: string;
  readonly parts: readonly DatetimePart[];
}

/** Free text; carried through validation, never encoded by the pipeline. */
export interface StringFeature extends FeatureBase {
  readonly type: 'string';
  readonly maxLength?: number;
}

/** One named feature. */
export type FeatureSpec = NumericFeature | BooleanFeature | CategoryFeature | DatetimeFeature | StringFeature;

/** The schema of a model's named features. */
export interface FeatureSchema {
  readonly format: 'berth.schema/v1';
  readonly features: readonly FeatureSpec[];
  /**
   * Strings that mean "missing" when a value arrives as text (CSV fields); `null`, absent fields
   * and the empty string are always missing.
   */
  readonly missingValues?: readonly string[];
  /**
   * Refuse values the model never saw in training: a category not listed, or a number outside its
   * feature's `min`/`max`, whatever the feature's `outOfRange` says. Without it they are answered
   * with a warning.
   */
  readonly strict?: boolean;
}

/** The tokens CSV files commonly use for a missing value. */
export const DEFAULT_MISSING_VALUES: readonly string[] = ['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL'];

const base = { name: z.string().min(1), required: z.boolean(), description: z.string().optional() };
const policy = z.enum(['reject', 'clip', 'accept']);

const FeatureSpecSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.enum(['number', 'integer']), min: z.number().optional(), max: z.number().optional(), outOfRange: policy }).strict(),
  z.object({ ...base, type: z.literal('boolean') }).strict(),
  z.object({ ...base, type: z.literal('category'), categories: z.array(z.string()).min(1), outOfRange: z.enum(['reject', 'accept']) }).strict(),
  z
    .object({
      ...base,
      type: z.literal('datetime'),
      min: z.string().optional(),
      max: z.string().optional(),
      parts: z.array(z.enum(DATETIME_PARTS)).min(1),
    })
    .strict(),
  z.object({ ...base, type: z.literal('string'), maxLength: z.number().int().positive().optional() }).strict(),
]);

/** The zod schema of a feature schema, for the HTTP API's contract; use parseFeatureSchema to check one. */
export const FeatureSchemaSchema = z
  .object({
    format: z.literal('berth.schema/v1'),
    features: z.array(FeatureSpecSchema).min(1),
    missingValues: z.array(z.string()).optional(),
    strict: z.boolean().optional(),
  })
  .strict();

/**
 * Checks that a JSON value is a well-formed feature schema (unique names, `min` not above `max`,
 * unique categories) and returns it typed. Throws BERTH_SCHEMA_INVALID naming the problem.
 */
export function parseFeatureSchema(value: unknown): FeatureSchema {
  const result = FeatureSchemaSchema.safeParse(value);
  if (!result.success) {
    throw Errors.SCHEMA_INVALID.create(result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  }
  const schema: FeatureSchema = result.data;
  const names = new Set<string>();
  for (const feature of schema.features) {
    if (names.has(feature.name)) throw Errors.SCHEMA_INVALID.create(`feature '${feature.name}' appears twice`);
    names.add(feature.name);
    if (feature.type === 'number' || feature.type === 'integer') {
      if (feature.min !== undefined && feature.max !== undefined && feature.min > feature.max) {
        throw Errors.SCHEMA_INVALID.create(`feature '${feature.name}' has min ${feature.min} above max ${feature.max}`);
      }
    }
    if (feature.type === 'category' && new Set(feature.categories).size !== feature.categories.length) {
      throw Errors.SCHEMA_INVALID.create(`feature '${feature.name}' lists a category twice`);
    }
    if (feature.type === 'datetime') {
      if (new Set(feature.parts).size !== feature.parts.length) throw Errors.SCHEMA_INVALID.create(`feature '${feature.name}' lists a part twice`);
      for (const bound of [feature.min, feature.max]) {
        if (bound !== undefined && parseDatetime(bound) === undefined) {
          throw Errors.SCHEMA_INVALID.create(`feature '${feature.name}' has bound '${bound}', which is not an ISO 8601 date or date-time`);
        }
      }
    }
  }
  return schema;
}

/** The feature of a given name, or undefined. */
export function findFeature(schema: FeatureSchema, name: string): FeatureSpec | undefined {
  return schema.features.find((f) => f.name === name);
}
