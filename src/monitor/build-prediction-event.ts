/**
 * Building the monitor's {@link PredictionEvent} from what a request already holds: named-feature
 * predictions (validated rows and their named results) and tensor requests (OIP, KServe V1). Pure
 * functions; the data plane calls them off the request path.
 */
import { getFloat16 } from '@petamoriken/float16';
import type { FeatureSchema } from '../core/feature-schema.js';
import type { Prediction } from '../core/prediction.js';
import type { Tensor } from '../core/tensor.js';
import type { Columns, PredictionEvent, PredictionOutcome, PredictionProtocol } from './prediction-event.js';

/** Most columns taken from one tensor (an image has thousands; the monitor keeps `maxColumns` names per version anyway). */
export const MAX_TENSOR_COLUMNS = 64;

/** What every event says about its request. */
export interface RequestFacts {
  readonly model: string;
  readonly version: string;
  readonly requestId: string;
  /** When the request arrived, epoch ms. */
  readonly at: number;
  readonly protocol: PredictionProtocol;
  readonly latencyMs: number;
}

/**
 * The event of a named-feature prediction: the schema's fields as validated, and `label`/`probability_<label>` or `value`.
 * Built for every answered request, so with plain loops (no closures, spreads or iterator
 * helpers): at one row per request they cost more than the values they copy.
 */
export function eventFromRecords(
  facts: RequestFacts,
  schema: FeatureSchema,
  values: readonly (readonly unknown[])[],
  predictions: readonly Prediction[],
): PredictionEvent {
  const rows = values.length;
  const features: Record<string, unknown[]> = {};
  const names = schema.features;
  for (let j = 0; j < names.length; j++) {
    const column = new Array<unknown>(rows);
    for (let i = 0; i < rows; i++) column[i] = values[i]![j];
    features[names[j]!.name] = column;
  }
  const outputs: Record<string, unknown[]> = {};
  const first = predictions[0];
  if (first !== undefined && 'label' in first) {
    const labels = new Array<unknown>(rows);
    for (let i = 0; i < rows; i++) {
      const p = predictions[i]!;
      labels[i] = 'label' in p ? p.label : null;
    }
    outputs.label = labels;
    for (const label in first.probabilities) {
      const column = new Array<unknown>(rows);
      for (let i = 0; i < rows; i++) {
        const p = predictions[i]!;
        column[i] = 'probabilities' in p ? (p.probabilities[label] ?? null) : null;
      }
      outputs[`probability_${label}`] = column;
    }
  } else if (first !== undefined) {
    const column = new Array<unknown>(rows);
    for (let i = 0; i < rows; i++) {
      const p = predictions[i]!;
      column[i] = 'value' in p ? p.value : null;
    }
    outputs.value = column;
  }
  return { ...eventHead(facts, rows, 'success'), features, outputs };
}

/**
 * The event of an answered tensor request: each column j of a 2-D input `x` [n, k] is the feature
 * `x[j]` (the first MAX_TENSOR_COLUMNS columns), a 1-D input `x` [n] is the feature `x`; outputs
 * alike. Rows are the first dimension. Tensors of higher rank (images) are counted, not sketched.
 * `features` are the inputs' columns, taken with {@link tensorColumns} before the run: input
 * buffers are transferred to an inference worker and cannot be read afterwards.
 */
export function eventFromTensors(facts: RequestFacts, rows: number, features: Columns | undefined, outputs: readonly Tensor[]): PredictionEvent {
  return { ...eventHead(facts, rows, 'success'), ...(features !== undefined ? { features } : {}), outputs: tensorColumns(outputs, rows) };
}

/** The event of a request that failed (any kind): no rows, no columns. */
export function eventFromFailure(facts: RequestFacts, outcome: Exclude<PredictionOutcome, 'success'>): PredictionEvent {
  return eventHead(facts, 0, outcome);
}

/** What every event says of its request, whatever it carried. */
function eventHead(facts: RequestFacts, rows: number, outcome: PredictionOutcome): PredictionEvent {
  return { model: facts.model, version: facts.version, requestId: facts.requestId, at: facts.at, protocol: facts.protocol, rows, latencyMs: facts.latencyMs, outcome };
}

/** Rows of a request: the first dimension of its first input (1 for a scalar). */
export function tensorRows(inputs: readonly Tensor[]): number {
  const first = inputs[0];
  return first === undefined ? 0 : first.shape.length === 0 ? 1 : first.shape[0]!;
}

/** The monitored columns of tensors (see {@link eventFromTensors}). */
export function tensorColumns(tensors: readonly Tensor[], rows: number): Columns {
  const columns: Record<string, unknown[]> = {};
  for (const tensor of tensors) {
    const { shape } = tensor;
    if (shape.length > 2 || (shape.length > 0 && shape[0] !== rows)) continue;
    const width = shape.length === 2 ? shape[1]! : 1;
    const read = reader(tensor);
    for (let j = 0; j < Math.min(width, MAX_TENSOR_COLUMNS); j++) {
      const column = new Array<unknown>(rows);
      for (let i = 0; i < rows; i++) column[i] = read(i * width + j);
      columns[shape.length === 2 ? `${tensor.name}[${j}]` : tensor.name] = column;
    }
  }
  return columns;
}

/** Element reader: FP16 travels as 16-bit patterns and is decoded here; everything else is as stored. */
function reader(tensor: Tensor): (index: number) => unknown {
  const data = tensor.data;
  if (tensor.datatype === 'FP16' && data instanceof Uint16Array) {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    return (index) => getFloat16(view, index * 2, true);
  }
  return (index) => data[index];
}
