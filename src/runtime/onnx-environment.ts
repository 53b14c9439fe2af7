/**
 * Starting onnxruntime before any model loads: its first session in a process sets up what every
 * later one shares (the environment, its thread pools, the library's code), which costs a
 * one-time slice of memory and time. A server under a memory budget loads no version at start,
 * so it pays that here, where start-up waits for it, instead of in the first request's cold load
 * and outside the baseline its budget is sized against.
 */
import { node, onnxModel, tensorValueInfo } from '../core/onnx-model-builder.js';
import { OnnxElementType, encodeOnnxModel } from '../core/onnx-proto.js';
import { createSession } from './session-runner.js';

/** Opens and releases one session of a one-node model (Identity). */
export async function startOnnxRuntime(intraOpThreads: number): Promise<void> {
  const model = onnxModel({
    name: 'berth_start',
    nodes: [node('Identity', ['x'], ['y'])],
    inputs: [tensorValueInfo('x', OnnxElementType.FLOAT, [1])],
    outputs: [tensorValueInfo('y', OnnxElementType.FLOAT, [1])],
  });
  const session = await createSession(encodeOnnxModel(model), { intraOpThreads });
  await session.release();
}
