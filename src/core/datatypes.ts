/**
 * Tensor datatypes of the Open Inference Protocol and how Berth holds each one in memory.
 *
 * In memory a tensor's data is a typed array (FP16 as its 16-bit patterns in a Uint16Array, BOOL as
 * 0/1 bytes in a Uint8Array, 64-bit integers as BigInt64Array / BigUint64Array so that every value
 * is exact) or, for BYTES, an array of strings.
 */

/** The Open Inference Protocol datatype names. */
export const DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
] as const;

/** An Open Inference Protocol datatype name. */
export type Datatype = (typeof DATATYPES)[number];

/** The in-memory data of a tensor; see the module comment for which datatype uses which form. */
export type TensorData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array
  | string[];

/** How values of a datatype are written and checked. */
export type ValueKind = 'bool' | 'int' | 'bigint' | 'float' | 'half' | 'bytes';

/** The facts Berth needs about one datatype. */
export interface DatatypeInfo {
  readonly name: Datatype;
  /** Bytes per element in the binary tensor format; 0 for BYTES (length-prefixed). */
  readonly byteSize: number;
  readonly kind: ValueKind;
  /** onnxruntime's name for the element type. */
  readonly ortType: string;
  /** Smallest and largest value, for integer kinds. */
  readonly min?: number | bigint;
  readonly max?: number | bigint;
  /** Allocates zeroed storage for `count` elements. */
  allocate(count: number): TensorData;
  /** Views `byteLength` bytes of an aligned buffer as this type's storage (not for BYTES). */
  view(buffer: ArrayBuffer, byteOffset: number, count: number): TensorData;
}

type ArrayCtor = {
  new (count: number): Exclude<TensorData, string[]>;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): Exclude<TensorData, string[]>;
};

function numeric(
  name: Datatype,
  ctor: ArrayCtor,
  kind: ValueKind,
  ortType: string,
  range?: readonly [number | bigint, number | bigint],
): DatatypeInfo {
  return {
    name,
    byteSize: (ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT,
    kind,
    ortType,
    ...(range ? { min: range[0], max: range[1] } : {}),
    allocate: (count) => new ctor(count),
    view: (buffer, byteOffset, count) => new ctor(buffer, byteOffset, count),
  };
}

const INFO: Readonly<Record<Datatype, DatatypeInfo>> = {
  BOOL: numeric('BOOL', Uint8Array, 'bool', 'bool'),
  UINT8: numeric('UINT8', Uint8Array, 'int', 'uint8', [0, 255]),
  UINT16: numeric('UINT16', Uint16Array, 'int', 'uint16', [0, 65535]),
  UINT32: numeric('UINT32', Uint32Array, 'int', 'uint32', [0, 4294967295]),
  UINT64: numeric('UINT64', BigUint64Array, 'bigint', 'uint64', [0n, 18446744073709551615n]),
  INT8: numeric('INT8', Int8Array, 'int', 'int8', [-128, 127]),
  INT16: numeric('INT16', Int16Array, 'int', 'int16', [-32768, 32767]),
  INT32: numeric('INT32', Int32Array, 'int', 'int32', [-2147483648, 2147483647]),
  INT64: numeric('INT64', BigInt64Array, 'bigint', 'int64', [-9223372036854775808n, 9223372036854775807n]),
  FP16: numeric('FP16', Uint16Array, 'half', 'float16'),
  FP32: numeric('FP32', Float32Array, 'float', 'float32'),
  FP64: numeric('FP64', Float64Array, 'float', 'float64'),
  BYTES: {
    name: 'BYTES',
    byteSize: 0,
    kind: 'bytes',
    ortType: 'string',
    allocate: (count) => new Array<string>(count).fill(''),
    view: () => {
      throw new Error('BYTES tensors have no fixed-size view');
    },
  },
};

const BY_ORT_TYPE: ReadonlyMap<string, DatatypeInfo> = new Map(Object.values(INFO).map((info) => [info.ortType, info]));

/** True when `value` is a datatype name. */
export function isDatatype(value: unknown): value is Datatype {
  return typeof value === 'string' && Object.hasOwn(INFO, value);
}

/** The facts about a datatype. */
export function datatypeInfo(datatype: Datatype): DatatypeInfo {
  return INFO[datatype];
}

/** The datatype onnxruntime calls `ortType`, or undefined for types Berth cannot serve. */
export function datatypeFromOrt(ortType: string): Datatype | undefined {
  return BY_ORT_TYPE.get(ortType)?.name;
}
