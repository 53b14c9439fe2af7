/**
 * Which credential each HTTP route needs, checked by one hook before the route runs (see
 * serve/access-control.ts for the credentials themselves):
 * - always open: the probes (`/v2/health/live`, `/v2/health/ready`, `/ping`), the dashboard's
 *   files and the API's description (`/api/docs`, `/api/openapi.json`: the same rule for both, as
 *   a browser opening the docs page cannot send a token; every route described needs one);
 * - `/api/`, when protected (an admin token is set, which is required beyond loopback): `admin`
 *   for `/api/keys` and for anything that changes state, `predict` for named-record prediction and
 *   feedback, `read` for the rest;
 * - inference (`/v2`, `/v1`, `/invocations`) and `/metrics`, when `server.inferenceAuth` is on:
 *   `predict` to run a model, `predict` or `read` for metadata and readiness, `read` for metrics.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessScope } from '../../core/access-scope.js';
import { parseModelRef } from '../../core/model-ref.js';
import type { AccessControl, AccessNeed } from '../access-control.js';

/** Options of {@link guardAccess}. */
export interface AccessHookOptions {
  readonly access: AccessControl;
  /** `/api/` needs a credential. */
  readonly protectApi: boolean;
  /** Inference, metadata and `/metrics` need a credential. */
  readonly protectInference: boolean;
  /** The model `/invocations` answers for, where the config names it. */
  readonly mlflowModel?: string | undefined;
}

const PUBLIC = /^\/(v2\/health\/(live|ready)|ping|api\/docs(\/.*)?|api\/openapi\.json)$/;
const INFERENCE = /^\/(v1|v2|invocations|version|metrics)(\/|$)/;
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The model a route's parameters name, if one. */
function modelOf(request: FastifyRequest, mlflowModel: string | undefined): string | undefined {
  const params = (request.params ?? {}) as Record<string, string | undefined>;
  if (params.name !== undefined) return params.name;
  if (params.ref !== undefined) {
    try {
      return parseModelRef(params.ref).model;
    } catch {
      return undefined;
    }
  }
  // KServe V1's `/v1/models/<name>:predict`.
  if (params.target !== undefined) return params.target.replace(/:[^:]*$/, '');
  if (request.routeOptions.url === '/invocations') return mlflowModel;
  return undefined;
}

function need(scopes: readonly AccessScope[], action: string, model: string | undefined): AccessNeed {
  return { scopes, action, model };
}

/** What `request` needs, or undefined when it is open. */
export function accessNeed(request: FastifyRequest, options: Omit<AccessHookOptions, 'access'>): AccessNeed | undefined {
  const route = request.routeOptions.url;
  // No route: the request gets 404 or 405, which tells nothing a credential would protect.
  if (route === undefined || PUBLIC.test(route)) return undefined;
  const model = modelOf(request, options.mlflowModel);
  const safe = SAFE.has(request.method);
  if (route.startsWith('/api/')) {
    if (!options.protectApi) return undefined;
    if (route.startsWith('/api/keys')) return need(['admin'], 'manage API keys', undefined);
    if (!safe && (route.endsWith('/predict') || route.endsWith('/feedback'))) return need(['predict'], 'run models and send feedback', model);
    return safe ? need(['read'], 'read the management API', model) : need(['admin'], 'change the registry', model);
  }
  if (INFERENCE.test(route)) {
    if (!options.protectInference) return undefined;
    if (route === '/metrics') return need(['read'], 'read metrics', undefined);
    return safe ? need(['predict', 'read'], 'read model metadata', model) : need(['predict'], 'run models', model);
  }
  return undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The credentials' checker, for other hooks that need to know who a client is (rate limits). */
    accessControl?: AccessControl;
  }
}

/** Adds the hook that checks every route's credential to `app`, and decorates `app` with the checker. */
export function guardAccess(app: FastifyInstance, options: AccessHookOptions): void {
  app.decorate('accessControl', options.access);
  if (!options.protectApi && !options.protectInference) return;
  app.addHook('onRequest', async (request, reply) => {
    const needed = accessNeed(request, options);
    if (!needed) return;
    try {
      await options.access.check(request.headers.authorization, needed);
    } catch (error) {
      const status = (error as { httpStatus?: number }).httpStatus;
      if (status === 401) void reply.header('www-authenticate', 'Bearer realm="berth"');
      throw error;
    }
  });
}
