/**
 * The pipeline specification: how rows of named features become the model's input tensor and how
 * the model's output tensors become named results. Plain JSON-serialisable data carried by a
 * bundle; `src/runtime/pipeline.ts` executes it, offline and online alike.
 *
 * The input tensor is FP32 `[n, k]`. Its columns follow `steps` in order; a numeric step fills one
 * column, a one-hot step one column per category, an ordinal step one column.
 *
 * @example
 *   const spec: PipelineSpec = {
 *     format: 'berth.pipeline/v1',
 *     input: 'features',
 *     steps: [
 *       { feature: 'age', encoding: 'numeric', impute: 41, scale: { mean: 41.2, std: 11.8 } },
 *       { feature: 'region', encoding: 'one-hot', categories: ['north', 'south'], impute: 'north', unseen: 'ignore' },
 *     ],
 *     output: { task: 'classification', target: 'defaulted', tensor: 'probabilities', labels: ['0', '1'] },
 *   };
 */
import { z } from 'zod';
import { DATETIME_PARTS, type DatetimePart } from './datetime-value.js';
import { Errors } from './errors.js';
import type { FeatureSchema } from './feature-schema.js';

/**
 * A number, integer or boolean (as 1/0) feature: missing values become `impute`, then, with
 * `scale`, `(x - mean) / std`.
 */
export interface NumericStep {
  readonly feature: string;
  readonly encoding: 'numeric';
  readonly impute: number;
  readonly scale?: { readonly mean: number; readonly std: number };
}

/**
 * A category feature as one column per category (1 for the row's category, 0 elsewhere).
 * Missing values become `impute` (null: all zeros); categories outside `categories` are all zeros
 * with `unseen: 'ignore'` and refused with `unseen: 'error'`.
 */
export interface OneHotStep {
  readonly feature: string;
  readonly encoding: 'one-hot';
  readonly categories: readonly string[];
  readonly impute: string | null;
  readonly unseen: 'ignore' | 'error';
}

/**
 * A category feature as its index in `categories`. Missing values become `impute` (null: treated
 * as unseen); unseen categories become `unseenValue` with `unseen: 'encode'`, or are refused.
 */
export interface OrdinalStep {
  readonly feature: string;
  readonly encoding: 'ordinal';
  readonly categories: readonly string[];
  readonly impute: string | null;
  readonly unseen: 'encode' | 'error';
  readonly unseenValue: number;
}

/**
 * A datetime feature as one numeric column per derived part (see src/core/datetime-value.ts), in
 * the order of `parts`: each imputed when the date is missing, then scaled like a numeric step.
 */
export interface DatetimeStep {
  readonly feature: string;
  readonly encoding: 'datetime';
  readonly parts: readonly {
    readonly part: DatetimePart;
    readonly impute: number;
    readonly scale?: { readonly mean: number; readonly std: number };
  }[];
}

/** One feature's encoding into tensor columns. */
export type PipelineStep = NumericStep | OneHotStep | OrdinalStep | DatetimeStep;

/** A classifier's output: `tensor` is FP32 `[n, labels.length]` of class probabilities. */
export interface ClassificationOutput {
  readonly task: 'classification';
  /** The column the model learned to predict (for feedback and reports). */
  readonly target: string;
  readonly tensor: string;
  /** Class labels in the order of the probability columns. */
  readonly labels: readonly string[];
}

/** A regressor's output: `tensor` is FP32 `[n, 1]` (or `[n]`) of predicted values. */
export interface RegressionOutput {
  readonly task: 'regression';
  readonly target: string;
  readonly tensor: string;
}

/** How the model's outputs become named results. */
export type PipelineOutput = ClassificationOutput | RegressionOutput;

/** The whole pipeline of a model. */
export interface PipelineSpec {
  readonly format: 'berth.pipeline/v1';
  /** Name of the model's FP32 `[n, k]` input tensor. */
  readonly input: string;
  readonly steps: readonly PipelineStep[];
  readonly output: PipelineOutput;
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const Scale = z.object({ mean: finite, std: finite.refine((s) => s > 0, 'must be positive') }).strict();

const StepSchema = z.discriminatedUnion('encoding', [
  z
    .object({
      feature: z.string().min(1),
      encoding: z.literal('numeric'),
      impute: finite,
      scale: Scale.optional(),
    })
    .strict(),
  z
    .object({
      feature: z.string().min(1),
      encoding: z.literal('datetime'),
      parts: z.array(z.object({ part: z.enum(DATETIME_PARTS), impute: finite, scale: Scale.optional() }).strict()).min(1),
    })
    .strict(),
  z
    .object({
      feature: z.string().min(1),
      encoding: z.literal('one-hot'),
      categories: z.array(z.string()).min(1),
      impute: z.string().nullable(),
      unseen: z.enum(['ignore', 'error']),
    })
    .strict(),
  z
    .object({
      feature: z.string().min(1),
      encoding: z.literal('ordinal'),
      categories: z.array(z.string()).min(1),
      impute: z.string().nullable(),
      unseen: z.enum(['encode', 'error']),
      unseenValue: finite,
    })
    .strict(),
]);

const OutputSchema = z.discriminatedUnion('task', [
  z.object({ task: z.literal('classification'), target: z.string(), tensor: z.string().min(1), labels: z.array(z.string()).min(2) }).strict(),
  z.object({ task: z.literal('regression'), target: z.string(), tensor: z.string().min(1) }).strict(),
]);

const PipelineSpecSchema = z
  .object({
    format: z.literal('berth.pipeline/v1'),
    input: z.string().min(1),
    steps: z.array(StepSchema).min(1),
    output: OutputSchema,
  })
  .strict();

/** Number of tensor columns a step fills. */
export function stepWidth(step: PipelineStep): number {
  return step.encoding === 'one-hot' ? step.categories.length : step.encoding === 'datetime' ? step.parts.length : 1;
}

/** Number of columns `k` of the input tensor. */
export function pipelineWidth(spec: PipelineSpec): number {
  let width = 0;
  for (const step of spec.steps) width += stepWidth(step);
  return width;
}

/** A name per input tensor column: the feature, `feature=category` for one-hot columns, `feature.part` for datetime parts. */
export function pipelineColumnNames(spec: PipelineSpec): string[] {
  return spec.steps.flatMap((step) =>
    step.encoding === 'one-hot'
      ? step.categories.map((c) => `${step.feature}=${c}`)
      : step.encoding === 'datetime'
        ? step.parts.map((p) => `${step.feature}.${p.part}`)
        : [step.feature],
  );
}

/**
 * Checks that a JSON value is a well-formed pipeline and, given a schema, that it fits it: every
 * step encodes a schema feature once, numeric steps encode number/integer/boolean features and
 * category steps category features. Throws BERTH_PIPELINE_INVALID naming the problem.
 */
export function parsePipelineSpec(value: unknown, schema?: FeatureSchema): PipelineSpec {
  const result = PipelineSpecSchema.safeParse(value);
  if (!result.success) {
    throw Errors.PIPELINE_INVALID.create(result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  }
  const spec: PipelineSpec = result.data;
  const seen = new Set<string>();
  for (const step of spec.steps) {
    if (seen.has(step.feature)) throw Errors.PIPELINE_INVALID.create(`feature '${step.feature}' is encoded twice`);
    seen.add(step.feature);
    if (step.encoding === 'datetime') {
      if (new Set(step.parts.map((p) => p.part)).size !== step.parts.length) throw Errors.PIPELINE_INVALID.create(`feature '${step.feature}' lists a part twice`);
    } else if (step.encoding !== 'numeric') {
      if (new Set(step.categories).size !== step.categories.length) throw Errors.PIPELINE_INVALID.create(`feature '${step.feature}' lists a category twice`);
      if (step.impute !== null && !step.categories.includes(step.impute)) {
        throw Errors.PIPELINE_INVALID.create(`feature '${step.feature}' imputes '${step.impute}', which is not one of its categories`);
      }
    }
    if (schema) {
      const feature = schema.features.find((f) => f.name === step.feature);
      if (!feature) throw Errors.PIPELINE_INVALID.create(`step for feature '${step.feature}', which the schema does not have`);
      const numericType = feature.type === 'number' || feature.type === 'integer' || feature.type === 'boolean';
      const fits = step.encoding === 'numeric' ? numericType : step.encoding === 'datetime' ? feature.type === 'datetime' : feature.type === 'category';
      if (!fits) throw Errors.PIPELINE_INVALID.create(`feature '${step.feature}' is of type ${feature.type} and cannot have a ${step.encoding} step`);
      if (step.encoding === 'datetime' && feature.type === 'datetime') {
        const missing = step.parts.find((p) => !feature.parts.includes(p.part));
        if (missing) throw Errors.PIPELINE_INVALID.create(`feature '${step.feature}' encodes part '${missing.part}', which its schema does not list`);
      }
    }
  }
  if (spec.output.task === 'classification' && new Set(spec.output.labels).size !== spec.output.labels.length) {
    throw Errors.PIPELINE_INVALID.create('the output lists a class label twice');
  }
  return spec;
}
