/**
 * The dashboard's reads as TanStack Query options: one key and one fetch per resource, so views
 * share answers, polling lives in one place, and a change invalidates exactly what it touched.
 *
 * @example
 *   const models = useQuery({ ...queries.models(), refetchInterval: every(10_000) });
 *   await queryClient.invalidateQueries({ queryKey: keys.model('loans') });
 */
import { QueryClient, queryOptions } from '@tanstack/react-query';
import { ApiError } from './api-client.js';
import { berthApi, type TimeRange } from './berth-api.js';

/** Query keys. Everything about one model starts with `keys.model(name)`. */
export const keys = {
  models: () => ['models'] as const,
  modelNames: () => ['model-names'] as const,
  model: (name: string) => ['model', name] as const,
  server: () => ['server'] as const,
  alerts: () => ['alerts'] as const,
  training: () => ['training'] as const,
  trainingJob: (id: string) => ['training', id] as const,
};

/** The reads, by resource. */
export const queries = {
  models: () => queryOptions({ queryKey: [...keys.models(), 'summary'], queryFn: ({ signal }) => berthApi.modelsSummary(signal) }),
  modelNames: () => queryOptions({ queryKey: keys.modelNames(), queryFn: ({ signal }) => berthApi.modelNames(signal) }),
  model: (name: string) => queryOptions({ queryKey: keys.model(name), queryFn: ({ signal }) => berthApi.model(name, signal) }),
  version: (name: string, version: number) =>
    queryOptions({ queryKey: [...keys.model(name), 'version', version], queryFn: ({ signal }) => berthApi.version(name, version, signal) }),
  /** `aliases`: the model's aliases as last seen, so an alias moved elsewhere reloads the history too. */
  audit: (name: string, aliases = '') =>
    queryOptions({ queryKey: [...keys.model(name), 'audit', aliases], queryFn: ({ signal }) => berthApi.audit(name, signal) }),
  /** `aliases`: the model's aliases as last seen, so an alias moved elsewhere reloads the plans too. */
  rollbackPlans: (name: string, aliases = '') =>
    queryOptions({ queryKey: [...keys.model(name), 'rollback', aliases], queryFn: ({ signal }) => berthApi.rollbackPlans(name, signal) }),
  rollouts: (name: string) => queryOptions({ queryKey: [...keys.model(name), 'rollouts'], queryFn: ({ signal }) => berthApi.rollouts(name, signal) }),
  deployment: (name: string, since: string) =>
    queryOptions({ queryKey: [...keys.model(name), 'deployment', since], queryFn: ({ signal }) => berthApi.deployment(name, since, signal) }),
  shadowComparison: (name: string, version: number, from: string) =>
    queryOptions({ queryKey: [...keys.model(name), 'shadow-comparison', version, from], queryFn: ({ signal }) => berthApi.shadowComparison(name, version, from, signal) }),
  retrainPolicy: (name: string) => queryOptions({ queryKey: [...keys.model(name), 'retrain-policy'], queryFn: ({ signal }) => berthApi.retrainPolicy(name, signal) }),
  retrainJobs: (name: string) => queryOptions({ queryKey: [...keys.model(name), 'retrain-jobs'], queryFn: ({ signal }) => berthApi.retrainJobs(name, signal) }),
  oipMetadata: (name: string) => queryOptions({ queryKey: [...keys.model(name), 'oip'], queryFn: ({ signal }) => berthApi.oipMetadata(name, undefined, signal) }),
  drift: (name: string, range: TimeRange) =>
    queryOptions({ queryKey: [...keys.model(name), 'drift', range], queryFn: ({ signal }) => berthApi.drift(name, range, signal) }),
  driftHistory: (name: string, range: TimeRange) =>
    queryOptions({ queryKey: [...keys.model(name), 'drift-history', range], queryFn: ({ signal }) => berthApi.driftHistory(name, range, signal) }),
  traffic: (name: string, range: TimeRange) =>
    queryOptions({ queryKey: [...keys.model(name), 'traffic', range], queryFn: ({ signal }) => berthApi.traffic(name, range, signal) }),
  performance: (name: string, range: TimeRange) =>
    queryOptions({ queryKey: [...keys.model(name), 'performance', range], queryFn: ({ signal }) => berthApi.performance(name, range, signal) }),
  server: () => queryOptions({ queryKey: keys.server(), queryFn: ({ signal }) => berthApi.server(signal) }),
  alerts: () => queryOptions({ queryKey: keys.alerts(), queryFn: ({ signal }) => berthApi.alerts(signal) }),
  trainingJobs: () => queryOptions({ queryKey: keys.training(), queryFn: ({ signal }) => berthApi.trainingJobs(signal) }),
  trainingJob: (id: string) => queryOptions({ queryKey: keys.trainingJob(id), queryFn: ({ signal }) => berthApi.trainingJob(id, signal) }),
};

/** Refreshes whatever shows model `name`, the models list and what the server serves, after a change to them. */
export async function afterModelChange(client: QueryClient, name: string): Promise<void> {
  await Promise.all([keys.model(name), keys.models(), keys.modelNames(), keys.server()].map((queryKey) => client.invalidateQueries({ queryKey })));
}

/** True for refusals that asking again will not change: a missing token (saving one refetches) or a 404. */
function settled(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 401 || error.status === 404);
}

/**
 * A `refetchInterval` that polls every `ms` while the tab is visible, and stops after a 401 or 404,
 * so a page left open does not repeat a refused request forever.
 */
export function every(ms: number): (query: { readonly state: { readonly error: unknown } }) => number | false {
  return (query) => (settled(query.state.error) ? false : ms);
}

/**
 * The dashboard's cache. Errors show at once (no retries: the old views had none and a 404 is an
 * answer); polling pauses while the tab is hidden (TanStack's default).
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: false, refetchOnWindowFocus: false, staleTime: 1000 },
      mutations: { retry: false },
    },
  });
}
