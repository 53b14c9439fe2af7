/**
 * Fitting a pipeline to training rows: imputation values, scaling statistics and category
 * encodings, computed from the training side of the split only, so validation figures are honest.
 */
import { datetimePart } from '../core/datetime-value.js';
import type { FeatureSchema } from '../core/feature-schema.js';
import type { DatetimeStep, PipelineOutput, PipelineSpec, PipelineStep } from '../core/pipeline-spec.js';
import type { ParsedColumn } from './infer-schema.js';

/** How features are encoded; linear models want scaled numbers and one-hot categories. */
export interface PipelineFitOptions {
  /** Standard-scale numeric features (mean 0, variance 1 on the training rows, after imputation). */
  readonly scale: boolean;
  readonly categories: 'one-hot' | 'ordinal';
  readonly output: PipelineOutput;
  /** Name of the model's input tensor; default `features`. */
  readonly input?: string;
}

/**
 * Builds the pipeline for `schema` from the parsed columns, using only the rows at `trainRows`.
 * Numbers are imputed with their training median, booleans and categories with their most
 * frequent training value; unseen categories are encoded as none of the known ones.
 */
export function fitPipeline(
  schema: FeatureSchema,
  columns: readonly ParsedColumn[],
  trainRows: ArrayLike<number>,
  options: PipelineFitOptions,
): PipelineSpec {
  const steps: PipelineStep[] = [];
  for (const feature of schema.features) {
    const column = columns.find((c) => c.name === feature.name);
    if (!column || feature.type === 'string') continue;
    if (column.type === 'category' || column.type === 'string') {
      if (feature.type !== 'category') continue;
      const impute = mostFrequent(column.values, trainRows, feature.categories);
      steps.push(
        options.categories === 'one-hot'
          ? { feature: feature.name, encoding: 'one-hot', categories: [...feature.categories], impute, unseen: 'ignore' }
          : { feature: feature.name, encoding: 'ordinal', categories: [...feature.categories], impute, unseen: 'encode', unseenValue: -1 },
      );
      continue;
    }
    const numbers = column.values as Float64Array;
    if (feature.type === 'datetime') {
      const parts: DatetimeStep['parts'][number][] = feature.parts.map((part) => {
        const present: number[] = [];
        for (let i = 0; i < trainRows.length; i++) {
          const ms = numbers[trainRows[i]!]!;
          if (!Number.isNaN(ms)) present.push(datetimePart(ms, part));
        }
        const impute = median(present);
        return { part, impute, ...(options.scale ? { scale: scaleOf(present, impute, trainRows.length) } : {}) };
      });
      steps.push({ feature: feature.name, encoding: 'datetime', parts });
      continue;
    }
    const present: number[] = [];
    for (let i = 0; i < trainRows.length; i++) {
      const v = numbers[trainRows[i]!]!;
      if (!Number.isNaN(v)) present.push(v);
    }
    const impute = column.type === 'boolean' ? majorityBit(present) : median(present);
    const step: PipelineStep = { feature: feature.name, encoding: 'numeric', impute };
    steps.push(options.scale ? { ...step, scale: scaleOf(present, impute, trainRows.length) } : step);
  }
  return { format: 'berth.pipeline/v1', input: options.input ?? 'features', steps, output: options.output };
}

/**
 * Mean and standard deviation of a column after imputation, as scikit-learn's imputer-then-scaler
 * computes them; a constant column keeps std 1.
 */
function scaleOf(present: readonly number[], impute: number, rows: number): { mean: number; std: number } {
  const missingCount = rows - present.length;
  let sum = missingCount * impute;
  for (const v of present) sum += v;
  const mean = sum / rows;
  let squares = missingCount * (impute - mean) ** 2;
  for (const v of present) squares += (v - mean) ** 2;
  const std = Math.sqrt(squares / rows);
  return { mean, std: std > 1e-12 * Math.max(1, Math.abs(mean)) ? std : 1 };
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

function majorityBit(values: readonly number[]): number {
  let ones = 0;
  for (const v of values) ones += v;
  return ones * 2 > values.length ? 1 : 0;
}

function mostFrequent(values: readonly (string | null)[], rows: ArrayLike<number>, categories: readonly string[]): string | null {
  const counts = new Map<string, number>();
  for (let i = 0; i < rows.length; i++) {
    const v = values[rows[i]!];
    if (v !== null && v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  let best: string | null = null;
  let bestCount = 0;
  for (const c of categories) {
    const n = counts.get(c) ?? 0;
    if (n > bestCount) {
      best = c;
      bestCount = n;
    }
  }
  return best;
}
