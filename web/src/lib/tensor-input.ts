/** Tensor inputs of plain ONNX models, written and read as text in the Playground. */
import type { OipTensor, TensorSpec } from '../api/api-types.js';

/** The text fields of one tensor input. */
export interface TensorDraft {
  readonly name: string;
  readonly datatype: string;
  /** Comma-separated dimensions. */
  readonly shape: string;
  /** JSON: a flat or nested array. */
  readonly data: string;
}

/** Largest tensor the form pre-fills; bigger inputs start with an empty list to paste into. */
const PREFILL_MAX = 256;

/** A starting draft: dynamic dimensions as 1, zeros (or empty strings, false) for the data. */
export function tensorDraft(spec: TensorSpec): TensorDraft {
  const shape = (spec.shape ?? [1]).map((d) => (d < 0 ? 1 : d));
  const size = shape.reduce((a, b) => a * b, 1);
  const zero = spec.datatype === 'BYTES' ? '' : spec.datatype === 'BOOL' ? false : 0;
  return { name: spec.name, datatype: spec.datatype, shape: shape.join(', '), data: size <= PREFILL_MAX ? JSON.stringify(new Array(size).fill(zero)) : '[]' };
}

/** Parses a draft into an OIP input; throws an Error naming the field when it does not parse. */
export function tensorOf(draft: TensorDraft): OipTensor {
  const shape = draft.shape
    .split(/[,\s]+/)
    .filter(Boolean)
    .map((d) => Number(d));
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`The shape of ${draft.name} must be whole numbers such as "1, 4".`);
  let data: unknown;
  try {
    data = JSON.parse(draft.data);
  } catch {
    throw new Error(`The data of ${draft.name} is not valid JSON: write a list such as [1.5, 2].`);
  }
  if (!Array.isArray(data)) throw new Error(`The data of ${draft.name} must be a JSON list.`);
  return { name: draft.name, datatype: draft.datatype, shape, data };
}
