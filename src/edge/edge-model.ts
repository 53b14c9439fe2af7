/**
 * A model run by onnxruntime-web: what `berth export --target web` (in the browser) and
 * `--target node` (plain Node, no native addon) load. It runs the same pipeline code as the server
 * (runtime/pipeline.ts, compiled into the exported module from the same sources), the same input
 * checks and the same tensor conversions, so a row encodes and decodes identically everywhere.
 *
 * This module must stay free of Node built-ins: it is bundled for the browser.
 */
import type { InferenceSession } from 'onnxruntime-common';
import type { EmbeddedModel, PredictResult, TensorInput } from '../core/embedded-model.js';
import { predictionWarnings } from '../core/embedded-model.js';
import { BerthError, Errors } from '../core/errors.js';
import type { FeatureSchema } from '../core/feature-schema.js';
import type { PipelineSpec } from '../core/pipeline-spec.js';
import { inputsForSignature } from '../core/signature-inputs.js';
import { signatureFromOnnx } from '../core/signature-from-onnx.js';
import type { Signature } from '../core/signature.js';
import type { Tensor } from '../core/tensor.js';
import { makeCompatible } from '../runtime/onnx-compat.js';
import { type OrtTensorConstructor, ortFeeds, tensorsFromOrt } from '../runtime/ort-tensors.js';
import { Pipeline } from '../runtime/pipeline.js';

/** The parts of onnxruntime-web this module uses (its `ort` namespace fits). */
export interface OrtWeb {
  readonly InferenceSession: { create(model: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession> };
  readonly Tensor: OrtTensorConstructor;
}

/** The fields of a bundle's `berth.json` this module reads. */
export interface EdgeManifest {
  readonly name: string;
  readonly signature?: Signature;
  readonly schema?: FeatureSchema;
  readonly pipeline?: PipelineSpec;
}

/** What {@link openEdgeModel} needs. */
export interface EdgeModelOptions {
  readonly ort: OrtWeb;
  /** The bytes of the ONNX file. */
  readonly model: Uint8Array;
  /** The bundle's manifest; without one the model is plain ONNX (`infer` only), named `name`. */
  readonly manifest?: EdgeManifest;
  readonly name?: string;
  readonly version?: number;
}

/** A model loaded in onnxruntime-web, with the {@link EmbeddedModel} interface. */
export interface EdgeModel extends EmbeddedModel {
  /** Rewrites applied because onnxruntime refused the model as it was (runtime/onnx-compat.ts). */
  readonly rewrites: readonly string[];
}

const SESSION_OPTIONS: InferenceSession.SessionOptions = { executionProviders: ['wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 3 };

/** Loads a model into onnxruntime-web. Throws BERTH_MODEL_LOAD_FAILED with onnxruntime's reason. */
export async function openEdgeModel(options: EdgeModelOptions): Promise<EdgeModel> {
  const name = options.manifest?.name ?? options.name ?? 'model';
  const version = options.version ?? 1;
  const pipeline = options.manifest?.schema && options.manifest.pipeline ? new Pipeline(options.manifest.schema, options.manifest.pipeline) : undefined;
  const { session, rewrites } = await createSession(options.ort, options.model, name);
  let signature: Signature;
  try {
    signature = options.manifest?.signature ?? signatureFromOnnx(options.model, name);
  } catch (error) {
    await session.release();
    throw error;
  }
  const outputNames = signature.outputs.map((o) => o.name);
  let closed: Promise<void> | undefined;
  const run = async (inputs: readonly Tensor[], names: readonly string[]): Promise<Tensor[]> => {
    if (closed) throw Errors.MODEL_NOT_READY.create(name);
    try {
      return tensorsFromOrt(await session.run(ortFeeds(options.ort.Tensor, inputs), names as string[]), names);
    } catch (error) {
      if (error instanceof BerthError) throw error;
      throw Errors.MODEL_EXECUTION_FAILED.create(name, error instanceof Error ? error.message : String(error), { cause: error });
    }
  };
  return {
    name,
    version,
    schema: pipeline?.schema,
    signature,
    rewrites,
    async predict(records: readonly unknown[]): Promise<PredictResult> {
      if (!pipeline) throw Errors.MODEL_NO_SCHEMA.create(name, String(version));
      if (!Array.isArray(records) || records.length === 0) throw Errors.REQUEST_INVALID.create('there are no rows to predict');
      const result = await pipeline.predict({ run }, records);
      const warnings = predictionWarnings(result, pipeline.schema);
      return { model: name, version, predictions: result.predictions, ...(warnings.length ? { warnings } : {}) };
    },
    async infer(tensors: readonly TensorInput[], outputs?: readonly string[]): Promise<Tensor[]> {
      const names = outputs === undefined || outputs.length === 0 ? outputNames : outputs;
      for (const output of names) if (!outputNames.includes(output)) throw Errors.OUTPUT_UNKNOWN.create(output, name, outputNames);
      return run(inputsForSignature(signature, tensors, name), names);
    },
    close(): Promise<void> {
      closed ??= session.release();
      return closed;
    },
  };
}

/** A session on the model as it is or, when onnxruntime refuses it, on the server's compatible rewrite. */
async function createSession(ort: OrtWeb, model: Uint8Array, name: string): Promise<{ session: InferenceSession; rewrites: readonly string[] }> {
  try {
    return { session: await ort.InferenceSession.create(model, SESSION_OPTIONS), rewrites: [] };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    let compatible;
    try {
      compatible = makeCompatible(model);
    } catch {
      compatible = undefined;
    }
    if (compatible) {
      try {
        return { session: await ort.InferenceSession.create(compatible.bytes, SESSION_OPTIONS), rewrites: compatible.changes };
      } catch {
        // The original refusal is what the user needs to see.
      }
    }
    throw Errors.MODEL_LOAD_FAILED.create(name, reason, { cause: error });
  }
}
