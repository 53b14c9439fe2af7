/**
 * `berth_requests_in_flight`, the HorizontalPodAutoscaler's custom metric (`berth k8s`), for
 * HTTP: an inference request counts from its arrival (its body may still be arriving) until its
 * response closes, finished or cut off by the client. The count is released on the response's
 * `close`, which fires exactly once either way, and only for requests this hook counted, so a
 * request refused by an earlier hook (origin, credentials, rate limit) or aborted mid-body
 * cannot move it below or above the requests really in flight. Scrapes, probes and the
 * management API are not inference and are not counted.
 */
import type { FastifyInstance } from 'fastify';
import type { ServerMetrics } from '../metrics.js';

/** The routes that run a model (OIP REST, KServe V1, named-feature predict, MLflow). */
const INFERENCE_ROUTES = new Set(['/v2/models/:name/infer', '/v2/models/:name/versions/:version/infer', '/v1/models/:target', '/api/models/:ref/predict', '/invocations']);

/** Counts `app`'s inference requests in `metrics.inFlight`; see the module comment. */
export function countInFlight(app: FastifyInstance, metrics: ServerMetrics): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'POST' || !INFERENCE_ROUTES.has(request.routeOptions.url ?? '')) return;
    metrics.inFlight.inc();
    reply.raw.once('close', () => metrics.inFlight.dec());
  });
}
