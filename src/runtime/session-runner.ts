/**
 * Creating onnxruntime sessions and running them on plain tensors. Shared by the inference worker
 * and by inline execution on the main thread, so both run models the same way.
 */
import ort from 'onnxruntime-node';
import type { Tensor } from '../core/tensor.js';
import { ortFeeds, tensorsFromOrt } from './ort-tensors.js';

/** Options for one onnxruntime session. */
export interface SessionSettings {
  readonly intraOpThreads: number;
  /**
   * False turns off onnxruntime's CPU memory arena, which otherwise keeps the largest buffers a
   * session's runs needed: under a memory budget a session then holds less (default true).
   */
  readonly memoryArena?: boolean;
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
    ...(settings.memoryArena === false ? { enableCpuMemArena: false } : {}),
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
  const results = await session.run(ortFeeds(ort.Tensor, inputs), outputNames as string[]);
  return tensorsFromOrt(results, outputNames);
}
