/**
 * Small helpers to assemble ONNX graphs as plain objects for `encodeOnnxModel`. Used by the
 * trainer's exporter and by tests that need a model of a particular shape or datatype.
 */
import {
  OnnxAttributeType,
  type OnnxAttribute,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensorProto,
  type OnnxValueInfo,
} from './onnx-proto.js';

/** A tensor value-info; `null` or a string in `dims` is a dynamic dimension. */
export function tensorValueInfo(name: string, elemType: number, dims: readonly (number | string | null)[]): OnnxValueInfo {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: {
          dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d ?? `${name}_dim` })),
        },
      },
    },
  };
}

/** An initializer holding float32 values. */
export function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): OnnxTensorProto {
  return { name, dims: [...dims], dataType: 1, floatData: Array.from(values) };
}

/** An initializer holding int64 values. */
export function int64Tensor(name: string, dims: readonly number[], values: ArrayLike<number>): OnnxTensorProto {
  return { name, dims: [...dims], dataType: 7, int64Data: Array.from(values) };
}

type AttributeValue = number | string | readonly number[] | readonly string[] | OnnxTensorProto;

/** Builds an attribute, choosing its type from the value; `int` forces integer encoding of numbers. */
export function attribute(name: string, value: AttributeValue, kind: 'int' | 'float' = 'float'): OnnxAttribute {
  if (typeof value === 'number') {
    return kind === 'int' ? { name, type: OnnxAttributeType.INT, i: value } : { name, type: OnnxAttributeType.FLOAT, f: value };
  }
  if (typeof value === 'string') return { name, type: OnnxAttributeType.STRING, s: Buffer.from(value) };
  if (Array.isArray(value)) {
    if (value.length > 0 && typeof value[0] === 'string') {
      return { name, type: OnnxAttributeType.STRINGS, strings: (value as string[]).map((s) => Buffer.from(s)) };
    }
    return kind === 'int'
      ? { name, type: OnnxAttributeType.INTS, ints: [...(value as number[])] }
      : { name, type: OnnxAttributeType.FLOATS, floats: [...(value as number[])] };
  }
  return { name, type: OnnxAttributeType.TENSOR, t: value as OnnxTensorProto };
}

/** A graph node. */
export function node(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: readonly OnnxAttribute[] = [],
  domain = '',
): OnnxNode {
  return { opType, domain, input: [...inputs], output: [...outputs], attribute: [...attributes] };
}

/** Options for {@link onnxModel}. */
export interface OnnxModelOptions {
  readonly name?: string;
  readonly nodes: readonly OnnxNode[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly initializers?: readonly OnnxTensorProto[];
  /** Opset per domain; defaults to ai.onnx 17. */
  readonly opsets?: Readonly<Record<string, number>>;
  readonly producer?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Assembles a ModelProto object (IR version 8). */
export function onnxModel(options: OnnxModelOptions): OnnxModel {
  const opsets = options.opsets ?? { '': 17 };
  return {
    irVersion: 8,
    opsetImport: Object.entries(opsets).map(([domain, version]) => ({ domain, version })),
    producerName: options.producer ?? 'berth',
    graph: {
      name: options.name ?? 'graph',
      node: [...options.nodes],
      initializer: [...(options.initializers ?? [])],
      input: [...options.inputs],
      output: [...options.outputs],
    },
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
}
