/**
 * Batch scoring: rows of named features through a model's pipeline and ONNX model, in batches,
 * with the same Pipeline class the server uses. `berth predict` is a thin layer over this.
 */
import type { FeatureSchema } from '../core/feature-schema.js';
import type { PipelineSpec } from '../core/pipeline-spec.js';
import { ValueWarningSummary } from '../core/validate-row.js';
import { type EncodeOptions, Pipeline, type Prediction, type TensorRunner } from '../runtime/pipeline.js';
import { createSession, runSession } from '../runtime/session-runner.js';

/** Options for {@link scoreRows}. */
export interface ScoreRowsOptions {
  /** The bytes of the `.onnx` file. */
  readonly onnx: Uint8Array;
  readonly schema: FeatureSchema;
  readonly pipeline: PipelineSpec;
  /** Records of named features (JSON values or CSV strings). */
  readonly rows: readonly unknown[];
  /** Rows per onnxruntime run; default 4096. */
  readonly batchSize?: number;
  /** onnxruntime threads; default 1. */
  readonly threads?: number;
  /** How error messages name a row; defaults to `row <index>`. */
  readonly describeRow?: EncodeOptions['describeRow'];
}

/** The outcome of {@link scoreRows}. */
export interface ScoredRows {
  readonly predictions: Prediction[];
  /** Fields the rows carried that the schema does not know (ignored). */
  readonly unknownFields: readonly string[];
  /** One line per feature with values training never saw (unseen categories, numbers outside the training range). */
  readonly warnings: readonly string[];
}

/**
 * Scores every row, in order. Throws the first row's validation error (naming the row and field);
 * unknown fields and values outside what training saw are collected and returned.
 */
export async function scoreRows(options: ScoreRowsOptions): Promise<ScoredRows> {
  const pipeline = new Pipeline(options.schema, options.pipeline);
  const session = await createSession(options.onnx, { intraOpThreads: options.threads ?? 1 });
  const runner: TensorRunner = { run: (inputs, names) => runSession(session, inputs, names) };
  try {
    const batch = Math.max(1, options.batchSize ?? 4096);
    const predictions: Prediction[] = [];
    const unknown = new Set<string>();
    const warnings = new ValueWarningSummary();
    for (let first = 0; first < options.rows.length; first += batch) {
      const rows = options.rows.slice(first, first + batch);
      const result = await pipeline.predict(runner, rows, { firstRow: first, ...(options.describeRow ? { describeRow: options.describeRow } : {}) });
      for (const p of result.predictions) predictions.push(p);
      for (const field of result.unknownFields) unknown.add(field);
      for (const warning of result.valueWarnings) warnings.add(warning);
    }
    return { predictions, unknownFields: [...unknown], warnings: warnings.messages(pipeline.schema) };
  } finally {
    await session.release();
  }
}
