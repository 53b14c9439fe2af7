/**
 * Berth tensors to onnxruntime feeds and onnxruntime results back to Berth tensors. onnxruntime-node
 * (the server) and onnxruntime-web (the browser and `berth export`) share onnxruntime-common's
 * tensor API, so both convert through this one module and agree on every datatype.
 */
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-common';
import { type Datatype, type TensorData, datatypeFromOrt, datatypeInfo } from '../core/datatypes.js';
import type { Tensor } from '../core/tensor.js';

/** onnxruntime's tensor constructor, from whichever package runs the model. */
export type OrtTensorConstructor = new (type: OrtTensor.Type, data: OrtTensor.DataType, dims: readonly number[]) => OrtTensor;

/** The feeds of one run. */
export function ortFeeds(TensorClass: OrtTensorConstructor, inputs: readonly Tensor[]): Record<string, OrtTensor> {
  const feeds: Record<string, OrtTensor> = {};
  for (const input of inputs) {
    const type = datatypeInfo(input.datatype).ortType as OrtTensor.Type;
    feeds[input.name] = new TensorClass(type, input.data as OrtTensor.DataType, input.shape);
  }
  return feeds;
}

/** The outputs named, in that order, as Berth tensors. Throws for element types Berth cannot serve. */
export function tensorsFromOrt(results: InferenceSession.OnnxValueMapType, outputNames: readonly string[]): Tensor[] {
  return outputNames.map((name) => {
    const value = results[name] as OrtTensor | undefined;
    if (value === undefined) throw new Error(`the model returned no output '${name}'`);
    const datatype: Datatype | undefined = datatypeFromOrt(value.type);
    if (!datatype) throw new Error(`output '${name}' has element type ${value.type}, which Berth cannot serve`);
    const tensor: Tensor = { name, datatype, shape: value.dims.slice(), data: value.data as TensorData };
    return tensor;
  });
}
