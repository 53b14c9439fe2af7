/**
 * Typed tensors of the client: each Open Inference Protocol datatype has one in-memory form, so a
 * caller who checks `datatype` knows exactly what `data` holds. 64-bit integers are BigInt64Array
 * and BigUint64Array (exact), FP16 is a Float32Array of the half values (every half is exact in
 * it), BOOL is boolean[], BYTES is string[] (UTF-8).
 */
import { DATATYPES, type Datatype } from '../core/datatypes.js';

export { DATATYPES, type Datatype };

/** The data of a tensor of datatype `D`, as the client holds it. */
export interface TensorDataTypes {
  BOOL: boolean[];
  UINT8: Uint8Array;
  UINT16: Uint16Array;
  UINT32: Uint32Array;
  UINT64: BigUint64Array;
  INT8: Int8Array;
  INT16: Int16Array;
  INT32: Int32Array;
  INT64: BigInt64Array;
  FP16: Float32Array;
  FP32: Float32Array;
  FP64: Float64Array;
  BYTES: string[];
}

/** The data of a tensor of datatype `D`. */
export type TensorDataOf<D extends Datatype> = TensorDataTypes[D];

/** A named tensor of one datatype. */
export interface Tensor<D extends Datatype = Datatype> {
  readonly name: string;
  readonly datatype: D;
  readonly shape: readonly number[];
  readonly data: TensorDataOf<D>;
  readonly parameters?: Readonly<Record<string, unknown>>;
}

/** A tensor of any datatype, narrowed by checking `datatype`. */
export type AnyTensor = { [D in Datatype]: Tensor<D> }[Datatype];

/** Plain values a caller may give instead of the typed form (checked and converted). */
export type TensorValues = readonly (number | bigint | boolean | string)[];

/** An input to send: typed data, or plain values of the datatype. */
export interface TensorInput<D extends Datatype = Datatype> {
  readonly name: string;
  readonly datatype: D;
  readonly shape: readonly number[];
  readonly data: TensorDataOf<D> | TensorValues;
  readonly parameters?: Readonly<Record<string, unknown>>;
}

type IntRange = readonly [number, number];
const INT_RANGES: Partial<Record<Datatype, IntRange>> = {
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
};
const BIG_RANGES: Partial<Record<Datatype, readonly [bigint, bigint]>> = {
  UINT64: [0n, 18446744073709551615n],
  INT64: [-9223372036854775808n, 9223372036854775807n],
};

const TYPED: Partial<Record<Datatype, { from(values: ArrayLike<number> | ArrayLike<bigint>): ArrayBufferView; name: string }>> = {
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  FP16: Float32Array,
  FP32: Float32Array,
  FP64: Float64Array,
};

/** True when `value` is an Open Inference Protocol datatype name. */
export function isDatatype(value: unknown): value is Datatype {
  return typeof value === 'string' && (DATATYPES as readonly string[]).includes(value);
}

/** Number of elements of `shape`; throws a RangeError for a dimension that is not a whole number. */
export function elementCount(shape: readonly number[], what = 'tensor'): number {
  let count = 1;
  for (const dim of shape) {
    if (!Number.isSafeInteger(dim) || dim < 0) throw new RangeError(`${what} has shape [${shape.join(',')}]; every dimension must be a whole number from 0`);
    count *= dim;
  }
  return count;
}

function fail(name: string, index: number, reason: string): never {
  throw new RangeError(`Input '${name}', element ${index}: ${reason}`);
}

function floatOf(value: unknown, name: string, index: number, datatype: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  return fail(name, index, `${JSON.stringify(String(value))} is not a ${datatype} number`);
}

/**
 * The typed data of `datatype` for `values`, checking each element (an integer out of its type's
 * range is refused rather than wrapped, as typed arrays would). Typed data of the right kind is
 * returned as it is.
 */
export function toTensorData<D extends Datatype>(datatype: D, values: TensorDataOf<D> | TensorValues, name = 'tensor'): TensorDataOf<D> {
  const typed = TYPED[datatype];
  if (typed && ArrayBuffer.isView(values)) {
    if ((values.constructor as unknown) === typed) return values as TensorDataOf<D>;
    throw new TypeError(`Input '${name}' is ${datatype}, which the client holds as a ${typed.name}, but its data is a ${values.constructor.name}`);
  }
  const list = Array.from(values as ArrayLike<unknown>);
  switch (datatype) {
    case 'BOOL':
      return list.map((v, i) => (typeof v === 'boolean' ? v : fail(name, i, `${JSON.stringify(v)} is not a BOOL (true or false)`))) as TensorDataOf<D>;
    case 'BYTES':
      return list.map((v, i) => (typeof v === 'string' ? v : fail(name, i, `${typeof v} is not a BYTES string`))) as TensorDataOf<D>;
    case 'FP16':
    case 'FP32':
    case 'FP64':
      return typed!.from(list.map((v, i) => floatOf(v, name, i, datatype))) as TensorDataOf<D>;
    case 'UINT64':
    case 'INT64': {
      const [min, max] = BIG_RANGES[datatype]!;
      const big = list.map((v, i) => {
        let n: bigint;
        if (typeof v === 'bigint') n = v;
        else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
        else if (typeof v === 'string' && /^-?\d+$/.test(v)) n = BigInt(v);
        else return fail(name, i, `${typeof v === 'number' ? v : JSON.stringify(v)} is not a ${datatype} integer (numbers beyond 2^53 must be bigint or decimal strings)`);
        if (n < min || n > max) fail(name, i, `${n} is outside the ${datatype} range`);
        return n;
      });
      return typed!.from(big) as TensorDataOf<D>;
    }
    default: {
      const [min, max] = INT_RANGES[datatype]!;
      const ints = list.map((v, i) => {
        if (typeof v !== 'number' || !Number.isInteger(v)) return fail(name, i, `${JSON.stringify(v)} is not a ${datatype} integer`);
        if (v < min || v > max) fail(name, i, `${v} is outside the ${datatype} range`);
        return v;
      });
      return typed!.from(ints) as TensorDataOf<D>;
    }
  }
}

/**
 * A typed tensor, checked: the data must hold as many elements as the shape.
 *
 * @example
 *   const x = tensor('x', 'INT64', [1, 2], [1n, 9007199254740993n]);
 */
export function tensor<D extends Datatype>(name: string, datatype: D, shape: readonly number[], data: TensorDataOf<D> | TensorValues): Tensor<D> {
  if (!isDatatype(datatype)) throw new TypeError(`Input '${name}' has datatype ${JSON.stringify(datatype)}; use one of ${DATATYPES.join(', ')}`);
  const typed = toTensorData(datatype, data, name);
  const count = elementCount(shape, `Input '${name}'`);
  if (typed.length !== count) throw new RangeError(`Input '${name}' has shape [${shape.join(',')}], which holds ${count} elements, but its data has ${typed.length}`);
  return { name, datatype, shape: [...shape], data: typed };
}
