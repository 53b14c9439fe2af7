/**
 * Building the monitor's {@link PredictionEvent} from what a request already holds: named-feature
 * predictions (validated rows and their named results) and tensor requests (OIP, KServe V1). Pure
 * functions; the data plane calls them off the request path.
 */
import { getFloat16 } from '@petamoriken/float16';
import type { FeatureSchema } from '../core/feature-schema.js';
import type { Prediction } from '../core/prediction.js';
import type { TensorData } from '../core/datatypes.js';
import type { Tensor } from '../core/tensor.js';
import type { ColumnParts, Columns, EventColumns, PredictionEvent, PredictionOutcome, PredictionProtocol, RowColumns, RowSelection } from './prediction-event.js';

/** Most columns taken from one tensor (an image has thousands; the monitor keeps `maxColumns` names per version anyway). */
export const MAX_TENSOR_COLUMNS = 64;

/**
 * Rows above which an answered request's event reads its columns on demand (`rowColumns`) rather
 * than holding one array per column: the monitor then never makes every row's values at once.
 */
export const LARGE_EVENT_ROWS = 4096;

const BOTH: ColumnParts = { features: true, outputs: true };

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
  if (rows > LARGE_EVENT_ROWS) {
    return eventFromRecordReader(facts, schema, rows, (selection, parts) => ({
      values: parts.features ? selected(values, selection) : [],
      predictions: parts.outputs && predictions.length > 0 ? selected(predictions, selection) : [],
    }));
  }
  return { ...eventHead(facts, rows, 'success'), ...recordColumns(schema, values, predictions, rows) };
}

/** Rows of named features and their predictions (none when the outputs were not asked for). */
export interface RecordRows {
  readonly values: readonly (readonly unknown[])[];
  readonly predictions: readonly Prediction[];
}

/**
 * The event of a named-feature prediction of `rows` rows whose values and predictions `read`
 * makes for the rows asked for (a large request, kept encoded): its columns are read on demand.
 */
export function eventFromRecordReader(facts: RequestFacts, schema: FeatureSchema, rows: number, read: (rows: RowSelection, parts: ColumnParts) => RecordRows): PredictionEvent {
  const rowColumns: RowColumns = {
    features: true,
    outputs: true,
    width: schema.features.length + 8,
    read: lastRangeKept((selection, parts) => {
      const part = read(selection, parts);
      const columns = recordColumns(schema, part.values, part.predictions, selectionLength(selection), parts);
      return { ...(parts.features ? { features: columns.features } : {}), ...(parts.outputs ? { outputs: columns.outputs } : {}) };
    }),
  };
  return { ...eventHead(facts, rows, 'success'), rowColumns };
}

/** The columns of validated rows and their predictions (see eventFromRecords). */
function recordColumns(
  schema: FeatureSchema,
  values: readonly (readonly unknown[])[],
  predictions: readonly Prediction[],
  rows: number,
  parts: ColumnParts = BOTH,
): { features: Columns; outputs: Columns } {
  const features: Record<string, unknown[]> = {};
  const names = schema.features;
  for (let j = 0; parts.features && j < names.length; j++) {
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
  return { features, outputs };
}

/**
 * The event of an answered tensor request: each column j of a 2-D input `x` [n, k] is the feature
 * `x[j]` (the first MAX_TENSOR_COLUMNS columns), a 1-D input `x` [n] is the feature `x`; outputs
 * alike. Rows are the first dimension. Tensors of higher rank (images) are counted, not sketched.
 * `features` are the inputs' columns, taken with {@link tensorColumns} before the run: input
 * buffers are transferred to an inference worker and cannot be read afterwards.
 */
export function eventFromTensors(facts: RequestFacts, rows: number, features: Columns | readonly Tensor[] | undefined, outputs: readonly Tensor[]): PredictionEvent {
  if (rows > LARGE_EVENT_ROWS) return { ...eventHead(facts, rows, 'success'), rowColumns: tensorRowColumns(rows, features, outputs) };
  const columns = Array.isArray(features) ? tensorColumns(features as readonly Tensor[], rows) : (features as Columns | undefined);
  return { ...eventHead(facts, rows, 'success'), ...(columns !== undefined ? { features: columns } : {}), outputs: tensorColumns(outputs, rows) };
}

/**
 * What a tensor request's features are kept as before the run (its input buffers move to an
 * inference worker): their columns, or for a request of more than LARGE_EVENT_ROWS rows a copy of
 * the tensors, read a slice at a time later.
 */
export function tensorFeatures(inputs: readonly Tensor[], rows: number): Columns | readonly Tensor[] {
  return rows > LARGE_EVENT_ROWS ? inputs.map((t) => ({ ...t, data: t.data.slice() as TensorData })) : tensorColumns(inputs, rows);
}

/** The columns of a large tensor request read on demand: features from their tensors (or columns), outputs from theirs. */
function tensorRowColumns(rows: number, features: Columns | readonly Tensor[] | undefined, outputs: readonly Tensor[]): RowColumns {
  const width = (tensors: readonly Tensor[]) => tensors.reduce((n, t) => n + Math.min(t.shape.length === 2 ? t.shape[1]! : 1, MAX_TENSOR_COLUMNS), 0);
  const featureTensors = Array.isArray(features) ? (features as readonly Tensor[]) : undefined;
  const featureColumns = featureTensors === undefined ? (features as Columns | undefined) : undefined;
  return {
    features: features !== undefined,
    outputs: true,
    width: width(outputs) + (featureTensors !== undefined ? width(featureTensors) : featureColumns !== undefined ? Object.keys(featureColumns).length : 0),
    read: lastRangeKept((selection, parts) => {
      const read: { features?: Columns; outputs?: Columns } = {};
      if (parts.outputs) read.outputs = tensorColumnsAt(outputs, rows, selection);
      if (!parts.features) return read;
      if (featureTensors !== undefined) read.features = tensorColumnsAt(featureTensors, rows, selection);
      else if (featureColumns !== undefined) read.features = columnsAt(featureColumns, selection);
      return read;
    }),
  };
}

/**
 * `read`, keeping the columns of the last range read: the prediction log and the payload log take
 * the same slices of a request in turn, so its outputs are made into values once, not per log.
 */
function lastRangeKept(read: (rows: RowSelection, parts: ColumnParts) => EventColumns): RowColumns['read'] {
  let kept: { from: number; to: number; read: { features: boolean; outputs: boolean }; columns: { features?: Columns; outputs?: Columns } } | undefined;
  return (selection, parts = BOTH) => {
    if (selection instanceof Uint32Array) return read(selection, parts);
    if (kept === undefined || kept.from !== selection.from || kept.to !== selection.to) {
      kept = { from: selection.from, to: selection.to, read: { features: false, outputs: false }, columns: {} };
    }
    const missing = { features: parts.features && !kept.read.features, outputs: parts.outputs && !kept.read.outputs };
    if (missing.features || missing.outputs) {
      const made = read(selection, missing);
      if (missing.features && made.features !== undefined) kept.columns.features = made.features;
      if (missing.outputs && made.outputs !== undefined) kept.columns.outputs = made.outputs;
      kept.read = { features: kept.read.features || missing.features, outputs: kept.read.outputs || missing.outputs };
    }
    const { features, outputs } = kept.columns;
    return { ...(parts.features && features !== undefined ? { features } : {}), ...(parts.outputs && outputs !== undefined ? { outputs } : {}) };
  };
}

/** The rows of a selection, in order. */
export function selectionLength(selection: RowSelection): number {
  return selection instanceof Uint32Array ? selection.length : selection.to - selection.from;
}

/** The elements of `list` at the rows of `selection`. */
function selected<T>(list: readonly T[], selection: RowSelection): T[] {
  if (!(selection instanceof Uint32Array)) return list.slice(selection.from, selection.to);
  const out = new Array<T>(selection.length);
  for (let k = 0; k < selection.length; k++) out[k] = list[selection[k]!]!;
  return out;
}

/** Columns at the rows of `selection` (a missing value stays undefined, as past a column's end). */
function columnsAt(columns: Columns, selection: RowSelection): Columns {
  const out: Record<string, unknown[]> = {};
  for (const name in columns) out[name] = selected(columns[name]!, selection);
  return out;
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
  return tensorColumnsAt(tensors, rows, { from: 0, to: rows });
}

/** The monitored columns of tensors of `rows` rows, at the rows of `selection`. */
export function tensorColumnsAt(tensors: readonly Tensor[], rows: number, selection: RowSelection): Columns {
  const columns: Record<string, unknown[]> = {};
  const picked = selection instanceof Uint32Array ? selection : undefined;
  const from = picked === undefined ? (selection as { from: number }).from : 0;
  const count = selectionLength(selection);
  for (const tensor of tensors) {
    const { shape } = tensor;
    if (shape.length > 2 || (shape.length > 0 && shape[0] !== rows)) continue;
    const width = shape.length === 2 ? shape[1]! : 1;
    const read = reader(tensor);
    for (let j = 0; j < Math.min(width, MAX_TENSOR_COLUMNS); j++) {
      const column = new Array<unknown>(count);
      if (picked === undefined) for (let k = 0; k < count; k++) column[k] = read((from + k) * width + j);
      else for (let k = 0; k < count; k++) column[k] = read(picked[k]! * width + j);
      columns[shape.length === 2 ? `${tensor.name}[${j}]` : tensor.name] = column;
    }
  }
  return columns;
}

/** The rows of `selection` of a tensor whose first dimension is its rows, as a tensor of their own (a view for a range). */
export function tensorRowsAt(tensor: Tensor, selection: RowSelection): Tensor {
  const rows = tensor.shape[0] ?? 0;
  const per = rows === 0 ? 0 : tensor.data.length / rows;
  const count = selectionLength(selection);
  const shape = [count, ...tensor.shape.slice(1)];
  const data = tensor.data as TensorData & { subarray?: (a: number, b: number) => TensorData };
  if (!(selection instanceof Uint32Array)) {
    const part = typeof data.subarray === 'function' ? data.subarray(selection.from * per, selection.to * per) : (data as unknown as unknown[]).slice(selection.from * per, selection.to * per);
    return { ...tensor, shape, data: part as TensorData };
  }
  const gathered = new (data.constructor as new (n: number) => TensorData)(count * per) as unknown as { [i: number]: unknown };
  const source = data as unknown as { readonly [i: number]: unknown };
  for (let k = 0; k < count; k++) for (let c = 0; c < per; c++) gathered[k * per + c] = source[selection[k]! * per + c];
  return { ...tensor, shape, data: gathered as unknown as TensorData };
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
