/**
 * The monitoring half of the management API (docs/api.md, "Monitoring"): drift report and its
 * history, traffic, performance from feedback, the sampled request log, the payload log's export,
 * alert rules and alerts.
 * Routes convert query strings and bodies and delegate to the MonitorService; errors are
 * catalogue errors rendered by the app's error handler.
 *
 * Register it on the `/api` scope, like the registry routes:
 *   app.register(async (api) => registerMonitorRoutes(api, { monitor }), { prefix: '/api' });
 */
import negotiate from '@fastify/accept-negotiator';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Errors } from '../../core/errors.js';
import { type MonitorService, PAYLOAD_EXPORT_MEDIA_TYPES, type PayloadExportFormat } from '../../monitor/index.js';
import { useApiContract } from './api-contract.js';
import { errorResponses, list, NameParams } from './api-schemas.js';
import {
  AlertRecord,
  AlertRuleBody,
  AlertRuleRecord,
  DriftHistory,
  DriftQuery,
  DriftReport,
  FeedbackBody,
  FeedbackResult,
  LoggedRequest,
  PayloadExportParams,
  PerformanceReport,
  SteppedQuery,
  Traffic,
} from './monitor-schemas.js';

/** What the monitoring routes need. */
export interface MonitorRoutesOptions {
  readonly monitor: MonitorService;
  /** Throws the catalogue's not-found error for a model that does not exist (feedback for one and its payload export are refused). */
  readonly checkModel?: (name: string) => Promise<void>;
}

/** Registers the monitoring routes on the API scope (paths relative to `/api`). */
export function registerMonitorRoutes(scope: FastifyInstance, options: MonitorRoutesOptions): void {
  const api = useApiContract(scope);
  const { monitor } = options;
  const tags = ['monitoring'];

  api.get(
    '/models/:name/monitor/drift',
    {
      schema: {
        tags,
        summary: 'Drift report of a model over a time range against its reference profile',
        description: "Each feature's `bins` hold the reference and current distributions as proportions per bin, for charts.",
        params: NameParams,
        querystring: DriftQuery,
        response: { 200: DriftReport, ...errorResponses },
      },
    },
    async (request) => monitor.reports.drift(request.params.name, request.query),
  );

  api.get(
    '/models/:name/monitor/drift/history',
    {
      schema: {
        tags,
        summary: "Drift per step: rows, drifted share and each feature's statistic",
        params: NameParams,
        querystring: SteppedQuery.extend({ method: DriftQuery.shape.method }),
        response: { 200: DriftHistory, ...errorResponses },
      },
    },
    async (request) => monitor.reports.driftHistory(request.params.name, request.query),
  );

  api.get(
    '/models/:name/monitor/traffic',
    {
      schema: {
        tags,
        summary: 'Requests, rows, errors and latency percentiles per step',
        params: NameParams,
        querystring: SteppedQuery,
        response: { 200: Traffic, ...errorResponses },
      },
    },
    async (request) => monitor.reports.traffic(request.params.name, request.query),
  );

  api.get(
    '/models/:name/monitor/performance',
    {
      schema: {
        tags,
        summary: 'Accuracy, F1 and ROC AUC (or RMSE, MAE and R²) from feedback, per step, beside the training metrics',
        params: NameParams,
        querystring: SteppedQuery,
        response: { 200: PerformanceReport, ...errorResponses },
      },
    },
    async (request) => monitor.reports.performance(request.params.name, request.query),
  );

  api.post(
    '/models/:name/feedback',
    {
      schema: {
        tags,
        summary: 'Ground truth for logged predictions: {requestId, actual} or a list of them',
        description: 'Answers {accepted, unknown: [requestId...], rejected: [{requestId, reason}]}; unknown ids are kept and joined if their prediction is logged later.',
        params: NameParams,
        body: FeedbackBody,
        response: { 200: FeedbackResult, ...errorResponses },
      },
    },
    async (request) => {
      await options.checkModel?.(request.params.name);
      return monitor.feedback(request.params.name, request.body);
    },
  );

  api.get(
    '/models/:name/monitor/requests',
    {
      schema: {
        tags,
        summary: 'The newest sampled requests with their inputs and outputs',
        params: NameParams,
        querystring: z.object({ limit: z.string().optional().describe('how many, 1 to 1000 (default 50)') }),
        response: { 200: z.object({ requests: list(LoggedRequest) }), ...errorResponses },
      },
    },
    async (request) => monitor.reports.requests(request.params.name, request.query),
  );

  api.get(
    '/models/:name/payloads',
    {
      schema: {
        tags,
        summary: "The model's payload log as CSV or JSON Lines: the inputs, the prediction and the truth sent as feedback",
        description:
          'Columns request_id, row, at, version, the inputs by feature name, prediction_<output> and actual (empty or null without feedback), one row per row of each logged request, streamed. `format` or the Accept header (text/csv, application/x-ndjson) chooses the format, CSV by default. Requests reach the export once their log segment is sealed (monitor.segmentSealMs); with payload logging off (monitor.payloads.rate 0) nothing new is logged and the export holds what was logged before, often nothing.',
        params: NameParams,
        querystring: PayloadExportParams,
        produces: [PAYLOAD_EXPORT_MEDIA_TYPES.csv, PAYLOAD_EXPORT_MEDIA_TYPES.jsonl],
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      await options.checkModel?.(name);
      const format = request.query.format ?? acceptedFormat(request.headers.accept);
      const exported = await monitor.payloadExport(name, request.query, format);
      return reply
        .type(PAYLOAD_EXPORT_MEDIA_TYPES[format])
        .header('content-disposition', `attachment; filename="${name}-payloads.${format}"`)
        .header('x-berth-export-from', new Date(exported.from).toISOString())
        .header('x-berth-export-to', new Date(exported.to).toISOString())
        .header('x-berth-payload-rate', String(monitor.payloadSettings(name).rate))
        // A stream is written as it is, never serialised; the declared schemas type the error answers only.
        .send(exported.stream as never);
    },
  );

  api.get(
    '/alerts/rules',
    { schema: { tags, summary: 'Alert rules, from the config file and the API', response: { 200: z.object({ rules: list(AlertRuleRecord) }), ...errorResponses } } },
    async () => ({ rules: await monitor.listRules() }),
  );

  api.post(
    '/alerts/rules',
    {
      schema: {
        tags,
        summary: 'Add an alert rule',
        description: 'A rule: {type, model?, feature?, metric?, threshold, window?, fireAfter?, resolveAfter?, minRows?, webhooks?}.',
        body: AlertRuleBody,
        response: { 201: AlertRuleRecord, ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await monitor.addRule(request.body)),
  );

  api.delete(
    '/alerts/rules/:id',
    {
      schema: {
        tags,
        summary: 'Delete an alert rule added through the API',
        params: z.object({ id: z.string() }),
        response: { 200: AlertRuleRecord, ...errorResponses },
      },
    },
    async (request) => monitor.removeRule(request.params.id),
  );

  api.get(
    '/alerts',
    {
      schema: {
        tags,
        summary: 'Alerts, firing first',
        querystring: z.object({ state: z.string().optional().describe('firing or resolved') }),
        response: { 200: z.object({ alerts: list(AlertRecord) }), ...errorResponses },
      },
    },
    async (request) => {
      const state = request.query.state;
      if (state !== undefined && state !== '' && state !== 'firing' && state !== 'resolved') {
        throw Errors.REQUEST_INVALID.create(`state=${state} is not firing or resolved`);
      }
      return { alerts: await monitor.listAlerts(state === '' ? undefined : state) };
    },
  );
}

const ACCEPTED: Readonly<Record<string, PayloadExportFormat>> = {
  'text/csv': 'csv',
  'application/x-ndjson': 'jsonl',
  'application/jsonl': 'jsonl',
  'application/json-lines': 'jsonl',
};

/** The format an Accept header prefers, CSV when it names neither. */
function acceptedFormat(accept: string | undefined): PayloadExportFormat {
  const media = accept === undefined ? null : negotiate(accept, Object.keys(ACCEPTED));
  return media === null ? 'csv' : ACCEPTED[media]!;
}
