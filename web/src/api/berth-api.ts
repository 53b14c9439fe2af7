/**
 * Typed calls of every endpoint the dashboard uses, one line each, so pages never build URLs.
 * `ref` is a model reference as docs/api.md defines it: `name`, `name@alias` or `name:version`.
 */
import { ApiError, apiFetch, apiRequest, segment } from './api-client.js';
import type {
  Alert,
  AliasChange,
  AuditEntry,
  DeploymentChange,
  DeploymentStatus,
  DriftHistoryPoint,
  DriftReport,
  LoggedRequest,
  ModelDetail,
  ModelListEntry,
  ModelRecord,
  OipInferResponse,
  OipModelMetadata,
  OipTensor,
  PerformanceReport,
  PredictResponse,
  RegisterResult,
  RetrainPolicy,
  RetrainPolicySettings,
  RollbackPlans,
  RolloutRecord,
  SetDeployment,
  ShadowComparisonReport,
  StartRollout,
  ServerStatus,
  TrafficPoint,
  TrainingJob,
  VersionDetail,
} from './api-types.js';

/** A time range of monitoring queries: ISO times or relative forms such as `1h`. */
export interface TimeRange {
  readonly from?: string;
  readonly to?: string;
  readonly step?: string;
}

const model = (name: string): string => `/api/models/${segment(name)}`;

/** The endpoints, grouped as docs/api.md groups them. */
export const berthApi = {
  models: (signal?: AbortSignal) => apiRequest<{ models: ModelRecord[] }>('/api/models', { signal }),
  /** The models list with each model's recent traffic and drift, in one request. */
  modelsSummary: (signal?: AbortSignal) => apiRequest<{ models: ModelListEntry[] }>('/api/models', { query: { summary: true }, signal }),
  /** Names of every model: from the registry API, or from KServe V1 on a server without it. */
  modelNames: async (signal?: AbortSignal): Promise<string[]> => {
    try {
      return (await apiRequest<{ models: ModelRecord[] }>('/api/models', { signal })).models.map((m) => m.name);
    } catch (error) {
      if (!(error instanceof ApiError && error.missingRoute)) throw error;
      return (await apiRequest<{ models: string[] }>('/v1/models', { signal })).models;
    }
  },
  model: (name: string, signal?: AbortSignal) => apiRequest<ModelDetail>(model(name), { signal }),
  version: (name: string, version: number, signal?: AbortSignal) =>
    apiRequest<VersionDetail>(`${model(name)}/versions/${segment(version)}`, { signal }),
  setAlias: (name: string, alias: string, version: number) =>
    apiRequest<AliasChange>(`${model(name)}/aliases/${segment(alias)}`, { method: 'PUT', json: { version } }),
  /** Where each alias would roll back to (the registry's rule). */
  rollbackPlans: (name: string, signal?: AbortSignal) => apiRequest<RollbackPlans>(`${model(name)}/rollback`, { signal }),
  rollback: (name: string, alias: string) => apiRequest<AliasChange>(`${model(name)}/rollback`, { method: 'POST', json: { alias } }),
  rollouts: (name: string, signal?: AbortSignal) => apiRequest<{ rollouts: RolloutRecord[] }>(`${model(name)}/rollouts`, { query: { limit: 10 }, signal }),
  startRollout: (name: string, body: StartRollout) => apiRequest<RolloutRecord>(`${model(name)}/rollouts`, { method: 'POST', json: body }),
  abortRollout: (name: string, id: string) => apiRequest<RolloutRecord>(`${model(name)}/rollouts/${segment(id)}/abort`, { method: 'POST' }),
  /** The model's deployment and each version's figures over the last `since` (default 5m). */
  deployment: (name: string, since?: string, signal?: AbortSignal) => apiRequest<DeploymentStatus>(`${model(name)}/deployment`, { query: { since }, signal }),
  setDeployment: (name: string, body: SetDeployment) => apiRequest<DeploymentChange>(`${model(name)}/deployment`, { method: 'PUT', json: body }),
  clearDeployment: (name: string) => apiRequest<DeploymentChange>(`${model(name)}/deployment`, { method: 'DELETE' }),
  shadowComparison: (name: string, version: number, from?: string, signal?: AbortSignal) =>
    apiRequest<ShadowComparisonReport>(`${model(name)}/shadows/${segment(version)}/comparison`, { query: { from }, signal }),
  removeAlias: (name: string, alias: string) => apiRequest<unknown>(`${model(name)}/aliases/${segment(alias)}`, { method: 'DELETE' }),
  deleteVersion: (name: string, version: number) => apiRequest<unknown>(`${model(name)}/versions/${segment(version)}`, { method: 'DELETE' }),
  server: (signal?: AbortSignal) => apiRequest<ServerStatus>('/api/server', { signal }),
  audit: (name: string, signal?: AbortSignal) =>
    apiRequest<{ entries: AuditEntry[] }>('/api/audit', { query: { model: name, limit: 200 }, signal }),

  predict: (ref: string, records: readonly Readonly<Record<string, unknown>>[]) =>
    apiRequest<PredictResponse>(`/api/models/${segment(ref)}/predict`, { method: 'POST', json: { records } }),
  oipMetadata: (name: string, version?: number, signal?: AbortSignal) =>
    apiRequest<OipModelMetadata>(`/v2/models/${segment(name)}${version === undefined ? '' : `/versions/${segment(version)}`}`, { signal }),
  infer: (name: string, version: number | undefined, inputs: readonly OipTensor[]) =>
    apiRequest<OipInferResponse>(`/v2/models/${segment(name)}${version === undefined ? '' : `/versions/${segment(version)}`}/infer`, {
      method: 'POST',
      json: { inputs },
    }),

  retrainPolicy: (name: string, signal?: AbortSignal) => apiRequest<RetrainPolicy>(`${model(name)}/retrain/policy`, { signal }),
  retrainJobs: (name: string, signal?: AbortSignal) => apiRequest<TrainingJob[]>(`${model(name)}/retrain/jobs`, { signal }),
  retrainNow: (name: string) => apiRequest<TrainingJob>(`${model(name)}/retrain`, { method: 'POST', json: {} }),
  setRetrainPolicy: (name: string, settings: RetrainPolicySettings) => apiRequest<RetrainPolicy>(`${model(name)}/retrain/policy`, { method: 'PUT', json: settings }),
  removeRetrainPolicy: (name: string) => apiRequest<RetrainPolicy>(`${model(name)}/retrain/policy`, { method: 'DELETE' }),
  startTraining: (form: FormData) => apiRequest<TrainingJob>('/api/training', { method: 'POST', body: form }),
  trainingJobs: (signal?: AbortSignal) => apiRequest<{ jobs: TrainingJob[] }>('/api/training', { signal }),
  trainingJob: (id: string, signal?: AbortSignal) => apiRequest<TrainingJob>(`/api/training/${segment(id)}`, { signal }),
  registerTraining: (id: string, body: { name?: string; alias?: string }) =>
    apiRequest<RegisterResult>(`/api/training/${segment(id)}/register`, { method: 'POST', json: body }),

  drift: (name: string, range: TimeRange, signal?: AbortSignal) =>
    apiRequest<DriftReport>(`${model(name)}/monitor/drift`, { query: { from: range.from, to: range.to }, signal }),
  driftHistory: (name: string, range: TimeRange, signal?: AbortSignal) =>
    apiRequest<{ points: DriftHistoryPoint[] }>(`${model(name)}/monitor/drift/history`, { query: { ...range }, signal }),
  traffic: (name: string, range: TimeRange, signal?: AbortSignal) =>
    apiRequest<{ points: TrafficPoint[] }>(`${model(name)}/monitor/traffic`, { query: { ...range }, signal }),
  performance: (name: string, range: TimeRange, signal?: AbortSignal) =>
    apiRequest<PerformanceReport>(`${model(name)}/monitor/performance`, { query: { ...range }, signal }),
  requests: (name: string, limit: number, signal?: AbortSignal) =>
    apiRequest<{ requests: LoggedRequest[] }>(`${model(name)}/monitor/requests`, { query: { limit }, signal }),
  alerts: (signal?: AbortSignal) => apiRequest<{ alerts: Alert[] }>('/api/alerts', { signal }),

  /** The Prometheus text of `/metrics`. */
  metricsText: async (signal?: AbortSignal) => (await apiFetch('/metrics', { headers: { accept: 'text/plain' }, signal })).text(),
};
