/**
 * The `berth` package's library entry: models in the caller's own process, with the server's
 * answers. The CLI is `npx berth`; the HTTP client is `berth/client`.
 *
 * @example
 *   import { loadModel } from 'berth';
 *   const model = await loadModel('loans.berth');
 *   const { predictions } = await model.predict([{ age: 41, employment: 'salaried' }]);
 *   await model.close();
 */
export {
  type LoadModelOptions,
  type LoadedModel,
  type ModelSource,
  type MonitorTarget,
  type RegistryLocation,
  type RegistryModel,
  loadModel,
} from './library/load-model.js';
export type { EmbeddedModel, PredictResult, TensorInput } from './core/embedded-model.js';
export type { ClassificationPrediction, Prediction, RegressionPrediction } from './core/prediction.js';
export type { FeatureSchema, FeatureSpec, FeatureType } from './core/feature-schema.js';
export type { Signature, TensorSpec } from './core/signature.js';
export type { Tensor } from './core/tensor.js';
export type { Datatype, TensorData } from './core/datatypes.js';
export type { ConfigInput } from './core/config.js';
export { BerthError, Errors } from './core/errors.js';
