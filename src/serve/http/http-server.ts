/**
 * The HTTP transport: a Fastify app with the error rendering, request ids, logging and metrics
 * every route shares, and the protocol routes registered on top. Routes convert and delegate to
 * the data plane (inference) or the registry (management API).
 */
import { join } from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Config } from '../../core/config.js';
import { Errors } from '../../core/errors.js';
import { type MonitorService, type ShadowComparisons, modelMonitorSummary } from '../../monitor/index.js';
import type { Registry } from '../../registry/index.js';
import { type DataPlane, MODEL_VERSION_HEADER } from '../data-plane.js';
import type { Protocol, ServerMetrics } from '../metrics.js';
import type { RegistryFollower } from '../registry-follower.js';
import type { TrainingJobs } from '../../app/training-jobs.js';
import type { ImageJobs } from '../../app/image/image-jobs.js';
import type { RolloutRunner } from '../../app/rollouts/rollout-runner.js';
import type { Retraining } from '../../app/retraining/retraining.js';
import type { Rollouts } from '../../app/rollouts/rollouts.js';
import { guardAccess } from './access-hook.js';
import { countInFlight } from './in-flight-hook.js';
import type { AccessControl } from '../access-control.js';
import { registerKeyRoutes } from './key-routes.js';
import { guardOrigins } from './origin-guard.js';
import { openApiTransform, openApiTransformObject, useApiContract } from './api-contract.js';
import { errorResponses } from './api-schemas.js';
import { ServerStatus } from './registry-schemas.js';
import { RouteMethods } from './route-methods.js';
import { registerMlflowRoutes } from './mlflow-routes.js';
import { limitRate } from './rate-limit.js';
import { errorBody, toBerthError } from './error-reply.js';
import { registerImageRoutes } from './image-routes.js';
import { registerDeploymentRoutes } from './deployment-routes.js';
import { RegistryChanges } from '../../app/registry-changes.js';
import { BodyCodecPool } from './body-codec-pool.js';
import { registerOipRoutes } from './oip-routes.js';
import { registerMonitorRoutes } from './monitor-routes.js';
import { registerPredictRoutes } from './predict-routes.js';
import { registerRegistryRoutes } from './registry-routes.js';
import { registerRetrainRoutes } from './retrain-routes.js';
import { registerRolloutRoutes } from './rollout-routes.js';
import { registerTrainingRoutes } from './training-routes.js';
import { registerV1Routes } from './v1-routes.js';
import { defaultWebRoot, registerWebRoutes } from './web-routes.js';
import { requestIdGenerator } from '../request-ids.js';
import { clientErrorHandler } from './client-error.js';

/** Labels of an inference request, set by its route for logs and metrics. */
export interface InferenceLabels {
  model: string;
  version: string;
  protocol: Protocol;
}

declare module 'fastify' {
  interface FastifyRequest {
    inference: InferenceLabels | null;
  }
}

/** Options for {@link createHttpServer}. */
export interface HttpServerOptions {
  readonly dataPlane: DataPlane;
  readonly metrics: ServerMetrics;
  readonly logger: FastifyBaseLogger;
  readonly config: Config;
  /** True once shutdown has begun: responses close their connections, so clients move on. */
  readonly isClosing: () => boolean;
  /** The registry behind the management API; without it only inference routes exist. */
  readonly registry?: Registry;
  /**
   * Versions with bundles are served without a registry (a model folder): `/api/` then offers
   * named-feature prediction and monitoring only, under the same token rule.
   */
  readonly servesBundles?: boolean;
  readonly follower?: RegistryFollower;
  readonly serverVersion?: string;
  /** Shadow comparisons behind `/api/models/{name}/shadows/{version}/comparison` (with a registry only). */
  readonly comparisons?: ShadowComparisons;
  /** The monitor behind `/api/.../monitor`, feedback and alerts (with a registry only). */
  readonly monitor?: MonitorService;
  /** Training jobs behind `/api/training` (with a registry only). */
  readonly trainingJobs?: TrainingJobs;
  /** Retraining behind `/api/models/{name}/retrain…` (with a registry and training jobs). */
  readonly retraining?: Retraining;
  /** Image builds behind `/api/images` (with a registry only). */
  readonly imageJobs?: ImageJobs;
  /** Rollouts behind `/api/models/{name}/rollouts`, and this replica's runner (with a registry and monitoring). */
  readonly rollouts?: Rollouts;
  readonly rolloutRunner?: RolloutRunner;
  /** Checks credentials (the admin token, the registry's API keys); absent: nothing is protected. */
  readonly access?: AccessControl;
}

/** Builds the HTTP app (not yet listening). */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const { dataPlane, metrics, logger, config } = options;
  const bodyLimit = config.server.bodyLimit;
  const token = options.registry || options.servesBundles ? config.server.adminToken : undefined;
  const app: FastifyInstance = Fastify({
    loggerInstance: logger,
    // One debug line per request is written by the onResponse hook below, with model labels.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    requestIdHeader: 'x-request-id',
    genReqId: requestIdGenerator(),
    return503OnClosing: false,
    requestTimeout: config.server.requestTimeoutMs,
    // Node checks request deadlines on this period: often enough that the bound holds within a second.
    http: { headersTimeout: Math.min(config.server.requestTimeoutMs, 30_000), connectionsCheckingInterval: 1000 },
    forceCloseConnections: 'idle',
    clientErrorHandler: clientErrorHandler(config.server.requestTimeoutMs),
    routerOptions: { ignoreTrailingSlash: true },
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false } },
  });
  app.decorateRequest('inference', null);
  const routes = new RouteMethods(app);
  guardOrigins(app, { listenHost: config.server.host, allowedOrigins: config.server.allowedOrigins, allowedHosts: config.server.allowedHosts });
  void limitRate(app, config.server.rateLimitPerMinute);
  if (options.access) {
    guardAccess(app, {
      access: options.access,
      protectApi: token !== undefined,
      protectInference: config.server.inferenceAuth,
      mlflowModel: config.server.mlflowModel,
    });
  }

  // Requests that reach the server while it drains are served: they were sent before the load
  // balancer noticed, and refusing them would fail them for nothing.
  countInFlight(app, metrics);
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });

  // Responses finished during shutdown close their connection, so keep-alive clients cannot hold
  // the server open after the last request in flight.
  app.addHook('onSend', async (request, reply, payload) => {
    if (options.isClosing()) void reply.header('connection', 'close');
    // Every inference answer names the version that served it, on every protocol.
    if (request.inference) void reply.header(MODEL_VERSION_HEADER, request.inference.version);
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const labels = request.inference;
    if (labels) metrics.observe(labels.model, labels.version, labels.protocol, reply.statusCode, reply.elapsedTime / 1000);
    // The line is built only when it is written: this hook runs on every request.
    if (logger.level === 'debug' || logger.level === 'trace') {
      request.log.debug(
        { method: request.method, url: request.url, status: reply.statusCode, ms: Number(reply.elapsedTime.toFixed(3)), ...labels },
        'request',
      );
    }
  });

  app.setErrorHandler((error, request, reply) => {
    const berthError = toBerthError(error, request.id, bodyLimit);
    if (berthError.httpStatus >= 500 && berthError.httpStatus !== 503) request.log.error({ err: error, code: berthError.code }, berthError.message);
    else request.log.debug({ code: berthError.code }, berthError.message);
    if (berthError.httpStatus === 503) void reply.header('retry-after', '1');
    return reply.code(berthError.httpStatus).type('application/json').send(errorBody(berthError));
  });

  app.setNotFoundHandler((request, reply) => {
    const allowed = routes.allowed(request.url).join(', ');
    const error = allowed ? Errors.METHOD_NOT_ALLOWED.create(request.method, request.url, allowed) : Errors.ROUTE_NOT_FOUND.create(request.method, request.url);
    if (allowed) void reply.header('allow', allowed);
    return reply.code(error.httpStatus).send(errorBody(error));
  });

  // Inside a plugin so that they are added after the rate limit's plugin has loaded (it limits
  // the routes added after it).
  const codecs = new BodyCodecPool({ thresholdBytes: config.server.offThreadBodyBytes });
  app.addHook('onClose', () => codecs.close());
  void app.register(async (inference) => {
    registerOipRoutes(inference, dataPlane, codecs);
    registerV1Routes(inference, dataPlane, codecs);
  });
  registerMlflowRoutes(app, dataPlane, codecs, { model: config.server.mlflowModel, serverVersion: options.serverVersion ?? '0' });
  app.get('/metrics', async (_request, reply) => {
    metrics.refresh();
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  const registry = options.registry;
  const monitor = options.monitor;
  if (!registry && options.servesBundles) {
    void app.register(
      async (api) => {
        useApiContract(api).get(
          '/server',
          { schema: { response: { 200: ServerStatus, ...errorResponses } } },
          async () => ({ version: options.serverVersion ?? '0', served: dataPlane.served(), failures: [] }),
        );
        registerPredictRoutes(api, dataPlane, codecs);
        if (options.monitor) {
          registerMonitorRoutes(api, {
            monitor: options.monitor,
            checkModel: async (name) => {
              if (!dataPlane.modelNames().includes(name)) throw Errors.MODEL_NOT_FOUND.create(name);
            },
          });
        }
      },
      { prefix: '/api' },
    );
  }
  if (registry) {
    void app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'Berth management API', version: options.serverVersion ?? '0', description: 'See docs/api.md. Inference is under /v2 (Open Inference Protocol) and /v1 (KServe V1).' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: token ? [{ bearer: [] }] : [],
      },
      hideUntagged: true,
      transform: openApiTransform,
      transformObject: openApiTransformObject,
    });
    void app.register(swaggerUi, { routePrefix: '/api/docs' });
    // The dashboard speaks only the management and inference APIs, so it comes with the registry.
    registerWebRoutes(app, { root: defaultWebRoot() });
    void app.register(
      async (api) => {
        api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
        registerRegistryRoutes(api, {
          registry,
          dataPlane,
          ...(options.follower ? { follower: options.follower } : {}),
          uploadDir: join(config.store.home, 'tmp', 'uploads'),
          uploadLimit: config.server.uploadLimit,
          serverVersion: options.serverVersion ?? '0',
          ...(monitor ? { summarize: (model: string) => modelMonitorSummary(monitor.reports, model) } : {}),
        });
        registerDeploymentRoutes(api, { registry, changes: new RegistryChanges(registry, options.follower), dataPlane, reports: monitor?.reports, comparisons: options.comparisons });
        registerRolloutRoutes(api, {
          registry,
          ...(options.follower ? { follower: options.follower } : {}),
          ...(options.rollouts ? { rollouts: options.rollouts } : {}),
          ...(options.rolloutRunner ? { runner: options.rolloutRunner } : {}),
        });
        registerPredictRoutes(api, dataPlane, codecs);
        if (options.monitor) {
          registerMonitorRoutes(api, {
            monitor: options.monitor,
            checkModel: async (name) => {
              await registry.getModel(name);
            },
          });
        }
        if (options.imageJobs) registerImageRoutes(api, options.imageJobs);
        registerKeyRoutes(api, { registry, onRevoked: () => options.access?.forget() });
        if (options.retraining) registerRetrainRoutes(api, options.retraining);
        if (options.trainingJobs) {
          registerTrainingRoutes(api, {
            jobs: options.trainingJobs,
            registry,
            prefix: '',
            actor: (request) => ({ interface: 'api', actor: request.ip }),
            ...(options.follower ? { onAliasesChanged: () => options.follower!.sync() } : {}),
          });
        }
      },
      { prefix: '/api' },
    );
  }
  return app;
}
