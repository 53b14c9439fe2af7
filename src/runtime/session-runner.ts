/**
 * Creating onnxruntime sessions and running them on plain tensors. Shared by the inference worker
 * and by inline execution on the main thread, so both run models the same way.
 */
import ort from 'onnxruntime-node';
import type { Datatype, TensorData } from '../core/datatypes.js';
import { datatypeFromOrt, datatypeInfo } from '../core/datatypes.js';
import type { Tensor } from '../core/tensor.js';

/** Options for one onnxruntime session. */
export interface SessionSettings {
  readonly intraOpThreads: number;
}

/** A model as a file path or as the bytes of a (possibly rewritten) `.onnx` file. */
export type ModelSource = string | Uint8Array;

/** Creates a session for a model. Errors are onnxruntime's, with its own message. */
export async function createSession(source: ModelSource, settings: SessionSettings): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: settings.intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Warnings about legacy opsets are noise for a server; errors still surface as exceptions.
    logSeverityLevel: 3,
  };
  return typeof source === 'string' ? ort.InferenceSession.create(source, options) : ort.InferenceSession.create(source, options);
}

/** Runs a session synchronously-in-effect (onnxruntime-node blocks the calling thread). */
export async function runSession(
  session: ort.InferenceSession,
  inputs: readonly Tensor[],
  outputNames: readonly string[],
): Promise<Tensor[]> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of inputs) {
    const type = datatypeInfo(input.datatype).ortType as ort.Tensor.Type;
    feeds[input.name] = new ort.Tensor(type, input.data as ort.Tensor.DataType, input.shape);
  }
  const results = await session.run(feeds, outputNames as string[]);
  return outputNames.map((name) => {
    const value = results[name]!;
    const datatype: Datatype | undefined = datatypeFromOrt(value.type);
    if (!datatype) throw new Error(`output '${name}' has element type ${value.type}, which Berth cannot serve`);
    const tensor: Tensor = { name, datatype, shape: value.dims.slice(), data: value.data as TensorData };
    return tensor;
  });
}
