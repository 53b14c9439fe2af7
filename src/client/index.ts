/**
 * `berth/client`: the typed client of a Berth server, for Node.js 20+ and browsers. It imports
 * nothing but the platform (fetch, TextEncoder, DataView), so it bundles for the web unchanged.
 *
 * @example
 *   import { BerthClient, tensor } from 'berth/client';
 *   const berth = new BerthClient({ url: 'http://127.0.0.1:8080', token: process.env.BERTH_TOKEN });
 *   const result = await berth.infer('digits', [tensor('x', 'FP32', [1, 64], pixels)]);
 */
export {
  BerthClient,
  type BerthClientOptions,
  type CallOptions,
  type FeatureRows,
  type InferOptions,
  type InferResult,
  type ModelMetadata,
  type OutputSelection,
  type RegisterOptions,
  type ServerMetadata,
  type TensorMetadata,
  type TrainOptions,
  type VersionOption,
} from './berth-client.js';
export { BerthClientError, BerthConnectionError, BerthProtocolError, BerthServerError, BerthTimeoutError, type ErrorCode } from './client-errors.js';
export { type RetryOptions, retryAfterMs } from './http-transport.js';
export { DATATYPES, type AnyTensor, type Datatype, type Tensor, type TensorDataOf, type TensorDataTypes, type TensorInput, type TensorValues, isDatatype, tensor, toTensorData } from './tensors.js';
export { fromFloat16Bits, toFloat16Bits } from './float16.js';
export { parseExactJson, type ExactJson } from './exact-json.js';
export { decodeInferResponse, encodeInferRequest, type InferResponse } from './oip-wire.js';
export type * from './api-types.js';
