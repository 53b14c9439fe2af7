/**
 * What a model loaded into the caller's own process looks like, wherever it runs: the Node
 * library (`import { loadModel } from 'berth'`), the browser module of `berth export --target web`
 * and the folder of `--target node` all resolve to this shape, so code written against one runs
 * against the others.
 */
import type { FeatureSchema } from './feature-schema.js';
import type { Prediction } from './prediction.js';
import type { Signature } from './signature.js';
import type { Tensor } from './tensor.js';
import { type ValueWarning, describeValueWarnings } from './validate-row.js';

/** The answer of {@link EmbeddedModel.predict}: the body `POST /api/models/{ref}/predict` answers, less the request id. */
export interface PredictResult {
  readonly model: string;
  readonly version: number;
  /** One per row: `{label, probabilities}` for a classifier, `{value}` for a regressor. */
  readonly predictions: Prediction[];
  /** Fields the rows carried that the schema does not know (ignored), values outside what training saw. */
  readonly warnings?: string[];
}

/** A tensor to run a model on: a Berth tensor, or its datatype, shape and plain values. */
export interface TensorInput {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  /** A typed array of the datatype's storage, or the row-major values as JSON would carry them. */
  readonly data: unknown;
}

/** A model version loaded in this process; see the module comment. */
export interface EmbeddedModel {
  /** The model's name (the registry's, or the bundle's own). */
  readonly name: string;
  /** The version number (the registry's; 1 for a bundle or file outside a registry). */
  readonly version: number;
  /** The named, typed features `predict` takes; undefined for a plain ONNX model. */
  readonly schema: FeatureSchema | undefined;
  /** The model's tensor inputs and outputs. */
  readonly signature: Signature;
  /**
   * Predicts named results for rows of named features through the bundle's pipeline: the same
   * labels and probabilities as the server's records API. Throws BERTH_MODEL_NO_SCHEMA for a model
   * without a schema, and the server's 400 errors (naming the row and field) for bad rows.
   */
  predict(records: readonly unknown[]): Promise<PredictResult>;
  /**
   * Runs the model on tensors checked against its signature; returns the outputs named (all
   * when `outputs` is absent) in signature order.
   */
  infer(tensors: readonly TensorInput[], outputs?: readonly string[]): Promise<Tensor[]>;
  /** Frees the model (and flushes its monitoring); later calls fail with BERTH_MODEL_NOT_READY. Idempotent. */
  close(): Promise<void>;
}

/**
 * The `warnings` of a prediction, as every way of predicting words them: fields the schema does
 * not know (ignored), then values outside what training saw, one line per feature and kind.
 */
export function predictionWarnings(
  result: { readonly unknownFields: readonly string[]; readonly valueWarnings: readonly ValueWarning[] },
  schema: FeatureSchema | undefined,
): string[] {
  return [
    ...result.unknownFields.map((field) => `unknown field '${field}' ignored`),
    ...(result.valueWarnings.length > 0 && schema !== undefined ? describeValueWarnings(schema, result.valueWarnings) : []),
  ];
}
