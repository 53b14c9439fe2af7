/**
 * The shapes of the public HTTP API under short names. Management API types come from
 * ./generated/openapi.d.ts, which the build generates from the server's OpenAPI document, so the
 * dashboard and the server cannot drift apart silently; only the inference protocols' shapes,
 * which that document does not describe, are written out here.
 */
import type { components } from './generated/openapi.js';

type Schemas = components['schemas'];

export type ModelRecord = Schemas['ModelRecord'];
export type ModelListEntry = Schemas['ModelListEntry'];
export type ModelMonitorSummary = Schemas['ModelMonitorSummary'];
export type VersionRecord = Schemas['VersionRecord'];
export type TensorSpec = Schemas['TensorSpec'];
export type FeatureSchema = Schemas['FeatureSchema'];
/** One named feature of a schema. */
export type FeatureSpec = FeatureSchema['features'][number];
export type FeatureProfile = Schemas['FeatureProfile'];
export type Profile = Schemas['Profile'];
export type BundleManifest = Schemas['BundleManifest'];
export type VersionDetail = Schemas['VersionDetail'];
export type ModelDetail = Schemas['ModelDetail'];
export type ServerStatus = Schemas['ServerStatus'];
export type AliasChange = Schemas['AliasChange'];
export type AliasRecord = Schemas['AliasRecord'];
export type DeleteResult = Schemas['DeleteResult'];
export type AuditEntry = Schemas['AuditEntry'];
export type RollbackPlans = Schemas['RollbackPlans'];
export type RolloutRecord = Schemas['RolloutRecord'];
export type RolloutEvent = Schemas['RolloutEvent'];
export type GuardVerdict = Schemas['GuardVerdict'];
export type DeploymentStatus = Schemas['DeploymentStatus'];
export type DeploymentRecord = Schemas['DeploymentRecord'];
export type DeploymentChange = Schemas['DeploymentChange'];
export type VersionFigures = Schemas['VersionFigures'];
export type ShadowComparisonReport = Schemas['ShadowComparisonReport'];
/** The body of `PUT /api/models/{name}/deployment`. */
export type SetDeployment = Schemas['SetDeploymentBodyInput'];
/** The body of `POST /api/models/{name}/rollouts`. */
export interface StartRollout {
  readonly version: number;
  readonly steps?: string;
  readonly bake?: string;
  readonly interval?: string;
  readonly minRequests?: number;
  readonly guards?: readonly string[];
}
export type RegisterResult = Schemas['RegisterResult'];
export type PredictResponse = Schemas['PredictResponse'];
export type TrainingJob = Schemas['TrainingJob'];
export type TrainingState = TrainingJob['state'];
export type RetrainPolicy = Schemas['RetrainPolicy'];
export type RetrainPolicySettings = Schemas['RetrainPolicySettingsInput'];
export type FeatureBins = Schemas['FeatureBins'];
export type FeatureDrift = Schemas['FeatureDrift'];
export type DriftReport = Schemas['DriftReport'];
export type DriftHistoryPoint = Schemas['DriftHistoryPoint'];
export type TrafficPoint = Schemas['TrafficPoint'];
export type PerformanceReport = Schemas['PerformanceReport'];
export type LoggedRequest = Schemas['LoggedRequest'];
export type Alert = Schemas['AlertRecord'];

/** `GET /v2/models/{name}` (Open Inference Protocol). */
export interface OipModelMetadata {
  readonly name: string;
  readonly versions?: readonly string[];
  readonly platform?: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

/** An OIP tensor in a request or response. */
export interface OipTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly data: readonly unknown[];
}

/** `POST /v2/models/{name}/infer` (Open Inference Protocol). */
export interface OipInferResponse {
  readonly model_name: string;
  readonly model_version?: string;
  readonly id?: string;
  readonly outputs: readonly OipTensor[];
}
