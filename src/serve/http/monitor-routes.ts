/**
 * The monitoring half of the management API (docs/api.md, "Monitoring"): drift report and its
 * history, traffic, performance from feedback, the sampled request log, alert rules and alerts.
 * Routes convert query strings and bodies and delegate to the MonitorService; errors are
 * catalogue errors rendered by the app's error handler.
 *
 * Register it on the `/api` scope, like the registry routes:
 *   app.register(async (api) => registerMonitorRoutes(api, { monitor }), { prefix: '/api' });
 */
import type { FastifyInstance } from 'fastify';
import { Errors } from '../../core/errors.js';
import type { MonitorService } from '../../monitor/index.js';

/** What the monitoring routes need. */
export interface MonitorRoutesOptions {
  readonly monitor: MonitorService;
}

type Query = Record<string, string | undefined>;

const name = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } as const;
const range = {
  type: 'object',
  properties: {
    from: { type: 'string', description: 'ISO 8601 time, or a duration ago such as 1h, 30m, 7d (default: 24h before to)' },
    to: { type: 'string', description: 'ISO 8601 time, or a duration ago (default: now)' },
    version: { type: 'string', description: 'one version (default: the one that served the range)' },
  },
} as const;
const stepped = { ...range, properties: { ...range.properties, step: { type: 'string', description: 'duration of one point, e.g. 5m, 1h (default: about 24 points)' } } } as const;

/** Registers the monitoring routes on the API scope (paths relative to `/api`). */
export function registerMonitorRoutes(api: FastifyInstance, options: MonitorRoutesOptions): void {
  const { monitor } = options;
  const tags = ['monitoring'];

  api.get<{ Params: { name: string }; Querystring: Query }>(
    '/models/:name/monitor/drift',
    {
      schema: {
        tags,
        summary: 'Drift report of a model over a time range against its reference profile',
        params: name,
        querystring: { ...range, properties: { ...range.properties, method: { type: 'string', description: 'ks, wasserstein, psi, jensenshannon or chisquare for every feature it applies to' } } },
      },
    },
    async (request) => monitor.reports.drift(request.params.name, request.query),
  );

  api.get<{ Params: { name: string }; Querystring: Query }>(
    '/models/:name/monitor/drift/history',
    { schema: { tags, summary: 'Drift per step: rows, drifted share and each feature\'s statistic', params: name, querystring: stepped } },
    async (request) => monitor.reports.driftHistory(request.params.name, request.query),
  );

  api.get<{ Params: { name: string }; Querystring: Query }>(
    '/models/:name/monitor/traffic',
    { schema: { tags, summary: 'Requests, rows, errors and latency percentiles per step', params: name, querystring: stepped } },
    async (request) => monitor.reports.traffic(request.params.name, request.query),
  );

  api.get<{ Params: { name: string }; Querystring: Query }>(
    '/models/:name/monitor/performance',
    { schema: { tags, summary: 'Accuracy, F1 and ROC AUC (or RMSE, MAE and R²) from feedback, per step, beside the training metrics', params: name, querystring: stepped } },
    async (request) => monitor.reports.performance(request.params.name, request.query),
  );

  api.post<{ Params: { name: string } }>(
    '/models/:name/feedback',
    {
      schema: {
        tags,
        summary: 'Ground truth for logged predictions: {requestId, actual} or a list of them',
        description: 'Answers {accepted, unknown: [requestId...], rejected: [{requestId, reason}]}; unknown ids are kept and joined if their prediction is logged later.',
        params: name,
      },
    },
    async (request) => monitor.feedback(request.params.name, request.body),
  );

  api.get<{ Params: { name: string }; Querystring: Query }>(
    '/models/:name/monitor/requests',
    { schema: { tags, summary: 'The newest sampled requests with their inputs and outputs', params: name, querystring: { type: 'object', properties: { limit: { type: 'string' } } } } },
    async (request) => monitor.reports.requests(request.params.name, request.query),
  );

  api.get('/alerts/rules', { schema: { tags, summary: 'Alert rules, from the config file and the API' } }, async () => ({ rules: await monitor.listRules() }));

  api.post(
    '/alerts/rules',
    { schema: { tags, summary: 'Add an alert rule', description: 'A rule: {type, model?, feature?, metric?, threshold, window?, fireAfter?, resolveAfter?, minRows?, webhooks?}.' } },
    async (request, reply) => reply.code(201).send(await monitor.addRule(request.body)),
  );

  api.delete<{ Params: { id: string } }>(
    '/alerts/rules/:id',
    { schema: { tags, summary: 'Delete an alert rule added through the API', params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } } },
    async (request) => monitor.removeRule(request.params.id),
  );

  api.get<{ Querystring: Query }>(
    '/alerts',
    { schema: { tags, summary: 'Alerts, firing first', querystring: { type: 'object', properties: { state: { type: 'string' } } } } },
    async (request) => {
      const state = request.query.state;
      if (state !== undefined && state !== '' && state !== 'firing' && state !== 'resolved') {
        throw Errors.REQUEST_INVALID.create(`state=${state} is not firing or resolved`);
      }
      return { alerts: await monitor.listAlerts(state === '' ? undefined : state) };
    },
  );
}
