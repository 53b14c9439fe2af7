/**
 * The ONNX protobuf schema (the subset Berth reads and writes) and codecs for `ModelProto`.
 *
 * Why a hand-written schema: the published `onnx.proto` is the interface definition every ONNX
 * tool compiles against; the npm packages that ship it pre-compiled are pinned to protobufjs 6.
 * Declaring the messages here (field numbers from the ONNX IR specification) and letting
 * protobufjs do all encoding and decoding keeps us on a maintained protobuf library.
 */
import protobuf from 'protobufjs';

const ONNX_SCHEMA = `
syntax = "proto2";
package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5;
    FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10;
    SPARSE_TENSOR = 11; SPARSE_TENSORS = 12; TYPE_PROTO = 13; TYPE_PROTOS = 14;
  }
  optional string name = 1;
  optional string ref_attr_name = 21;
  optional string doc_string = 13;
  optional AttributeType type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
}

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  optional string name = 8;
  optional string doc_string = 12;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional bytes raw_data = 9;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  message Sequence {
    optional TypeProto elem_type = 1;
  }
  message Map {
    optional int32 key_type = 1;
    optional TypeProto value_type = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
    Sequence sequence_type = 4;
    Map map_type = 5;
  }
  optional string denotation = 6;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}
`;

/** ONNX `TensorProto.DataType` numbers. */
export const OnnxElementType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
} as const;

/** ONNX `AttributeProto.AttributeType` numbers. */
export const OnnxAttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

/** Plain-object forms of the messages, as protobufjs `fromObject` accepts and `toObject` returns. */
export interface OnnxDimension {
  dimValue?: number | bigint;
  dimParam?: string;
}
export interface OnnxTypeProto {
  tensorType?: { elemType?: number; shape?: { dim?: OnnxDimension[] } };
  sequenceType?: { elemType?: OnnxTypeProto };
  mapType?: { keyType?: number; valueType?: OnnxTypeProto };
}
export interface OnnxValueInfo {
  name: string;
  type?: OnnxTypeProto;
  docString?: string;
}
export interface OnnxTensorProto {
  name?: string;
  dims?: (number | bigint)[];
  dataType: number;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: (number | bigint)[];
  doubleData?: number[];
  stringData?: Uint8Array[];
  rawData?: Uint8Array;
}
export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number | bigint;
  s?: Uint8Array;
  t?: OnnxTensorProto;
  floats?: number[];
  ints?: (number | bigint)[];
  strings?: Uint8Array[];
}
export interface OnnxNode {
  opType: string;
  domain?: string;
  name?: string;
  input: string[];
  output: string[];
  attribute?: OnnxAttribute[];
}
export interface OnnxGraph {
  name?: string;
  node: OnnxNode[];
  initializer?: OnnxTensorProto[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
}
export interface OnnxModel {
  irVersion: number;
  opsetImport: { domain?: string; version: number }[];
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  graph: OnnxGraph;
  metadataProps?: { key: string; value: string }[];
}

let modelType: protobuf.Type | undefined;
function modelProto(): protobuf.Type {
  modelType ??= protobuf.parse(ONNX_SCHEMA, { keepCase: false }).root.lookupType('onnx.ModelProto');
  return modelType;
}

/** Serialises a model to the bytes of a `.onnx` file. */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const type = modelProto();
  return type.encode(type.fromObject(model)).finish();
}

/**
 * Parses the bytes of a `.onnx` file. Throws the protobuf library's error when the bytes are not a
 * ModelProto; callers wrap it in a catalogue error naming the file.
 */
export function decodeOnnxModel(bytes: Uint8Array): OnnxModel {
  const type = modelProto();
  const message = type.decode(bytes);
  // Any `bytes` option but String or Array keeps bytes fields as decoded (Buffer in Node,
  // Uint8Array in a browser, where this runs in the module berth export ships).
  return type.toObject(message, { longs: Number, bytes: Uint8Array, defaults: false, arrays: true }) as OnnxModel;
}
