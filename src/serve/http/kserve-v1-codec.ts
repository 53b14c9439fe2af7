/**
 * KServe's V1 prediction protocol (`{"instances": [...]}` in, `{"predictions": [...]}` out) to and
 * from the data plane's types. V1 carries no datatypes or shapes: they come from the model's
 * signature and from the nesting of the first instance.
 */
import { stringify } from 'lossless-json';
import type { Datatype, TensorData } from '../../core/datatypes.js';
import { Errors } from '../../core/errors.js';
import type { Signature } from '../../core/signature.js';
import type { Tensor } from '../../core/tensor.js';
import { tensorDataFromJson, tensorDataToValues } from '../../core/tensor.js';
import type { InferenceInput, InferenceRequest, InferenceResponse } from '../data-plane.js';
import { parseJsonBody } from './json-body.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Shape of one instance: the lengths along the first element at each nesting level. */
function instanceShape(instance: unknown): number[] {
  const shape: number[] = [];
  let level = instance;
  while (Array.isArray(level) && shape.length < 64) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}

function input(name: string, datatype: Datatype, rows: unknown[]): InferenceInput {
  const shape = [rows.length, ...instanceShape(rows[0])];
  return {
    name,
    datatype,
    shape,
    data: { decode: (dt: Datatype, sh: readonly number[], n: string): TensorData => tensorDataFromJson(dt, rows, sh, n) },
  };
}

/** Decodes a V1 predict body for model `model` with `signature`. */
export function decodeV1Predict(body: Buffer, signature: Signature, model: string): InferenceRequest {
  const json = parseJsonBody(body.toString('utf8'));
  if (!isObject(json) || !Array.isArray(json.instances) || json.instances.length === 0) {
    throw Errors.REQUEST_INVALID.create('the body must be {"instances": [...]} with at least one instance');
  }
  const instances: unknown[] = json.instances;
  const specs = signature.inputs;
  if (specs.length === 1 && !isObject(instances[0])) {
    return { inputs: [input(specs[0]!.name, specs[0]!.datatype, instances)] };
  }
  const inputs = specs.map((spec) => {
    const rows = instances.map((instance, index) => {
      if (!isObject(instance)) {
        throw Errors.REQUEST_INVALID.create(`instances[${index}] must be an object keyed by input name, since the model has several inputs`);
      }
      if (!(spec.name in instance)) throw Errors.INPUT_MISSING.create(spec.name, model);
      return instance[spec.name];
    });
    return input(spec.name, spec.datatype, rows);
  });
  return { inputs };
}

function nest(values: unknown[], dims: readonly number[]): unknown {
  if (dims.length === 0) return values[0];
  if (dims.length === 1) return values;
  const [, ...rest] = dims;
  const step = rest.reduce((a, b) => a * b, 1);
  const out: unknown[] = [];
  for (let i = 0; i < dims[0]!; i++) out.push(nest(values.slice(i * step, (i + 1) * step), rest));
  return out;
}

function jsonValues(tensor: Tensor): unknown[] {
  return tensorDataToValues(tensor.datatype, tensor.data).map((v) =>
    typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity') : v,
  );
}

/** Splits each output along its first dimension into one prediction per instance. */
function perInstance(tensor: Tensor, rows: number): unknown[] | undefined {
  if (tensor.shape.length === 0 || tensor.shape[0] !== rows) return undefined;
  const values = jsonValues(tensor);
  const rest = tensor.shape.slice(1);
  const step = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: rows }, (_, i) => nest(values.slice(i * step, (i + 1) * step), rest.length === 0 ? [] : rest));
}

/** Encodes a V1 predict response: one prediction per instance. */
export function encodeV1Predict(response: InferenceResponse, rows: number): string {
  const outputs = response.outputs;
  let predictions: unknown[];
  if (outputs.length === 1) {
    const only = outputs[0]!;
    predictions = perInstance(only, rows) ?? [nest(jsonValues(only), only.shape)];
  } else {
    const split = outputs.map((o) => perInstance(o, rows));
    predictions = split.every((s) => s !== undefined)
      ? Array.from({ length: rows }, (_, i) => Object.fromEntries(outputs.map((o, j) => [o.name, split[j]![i]])))
      : [Object.fromEntries(outputs.map((o) => [o.name, nest(jsonValues(o), o.shape)]))];
  }
  return stringify({ predictions }) ?? '{"predictions":[]}';
}
