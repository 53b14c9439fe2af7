/**
 * Tensors given by a caller, checked against a model's signature and put in its order: what the
 * in-process library and the exported browser module run before handing tensors to onnxruntime,
 * with the same catalogue errors the inference protocols answer.
 */
import { type TensorData, datatypeInfo, isDatatype } from './datatypes.js';
import type { TensorInput } from './embedded-model.js';
import { Errors } from './errors.js';
import { advertisedShape, shapeFits, type Signature } from './signature.js';
import { elementCount, formatShape, type Tensor, tensorDataFromJson } from './tensor.js';

/** The typed array class each datatype is stored in (BYTES: an array of strings). */
function isStorageOf(datatype: Tensor['datatype'], data: unknown): data is TensorData {
  if (datatype === 'BYTES') return Array.isArray(data) && data.every((v) => typeof v === 'string');
  const sample = datatypeInfo(datatype).allocate(0);
  return ArrayBuffer.isView(data) && data.constructor === sample.constructor;
}

/**
 * The inputs of `signature`, in its order, from `given`: every input present once, with the
 * signature's datatype and a shape that fits; data is either the datatype's typed array or the
 * values as JSON carries them (checked element by element). Throws BERTH_INPUT_* errors.
 */
export function inputsForSignature(signature: Signature, given: readonly TensorInput[], model: string): Tensor[] {
  const seen = new Set<string>();
  for (const input of given) {
    if (seen.has(input.name)) throw Errors.INPUT_DUPLICATE.create(input.name);
    seen.add(input.name);
    if (!signature.inputs.some((s) => s.name === input.name)) {
      throw Errors.INPUT_UNKNOWN.create(input.name, model, signature.inputs.map((s) => s.name));
    }
  }
  return signature.inputs.map((spec) => {
    const input = given.find((i) => i.name === spec.name);
    if (!input) throw Errors.INPUT_MISSING.create(spec.name, model);
    if (!isDatatype(input.datatype) || input.datatype !== spec.datatype) {
      throw Errors.INPUT_DATATYPE.create(spec.name, spec.datatype, JSON.stringify(input.datatype));
    }
    const count = elementCount(input.shape, input.name);
    const shape = input.shape;
    if (!shapeFits(spec, shape)) throw Errors.INPUT_SHAPE.create(spec.name, formatShape(advertisedShape(spec)), formatShape(shape));
    let data: TensorData;
    if (isStorageOf(spec.datatype, input.data)) {
      if (input.data.length !== count) {
        throw Errors.INPUT_DATA_LENGTH.create(spec.name, formatShape(shape), `${count} elements`, `${input.data.length} elements`);
      }
      data = input.data;
    } else {
      data = tensorDataFromJson(spec.datatype, input.data, shape, spec.name);
    }
    return { name: spec.name, datatype: spec.datatype, shape, data };
  });
}
