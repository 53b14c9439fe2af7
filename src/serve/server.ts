/**
 * The server's composition: loads models into runtimes (from files, or from the registry and
 * following its aliases), puts them in the model table, starts the HTTP transport, and shuts
 * everything down in order.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../core/config.js';
import { Errors, retryLogLevel } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';
import { registryReferenceSource } from '../app/registry-reference-source.js';
import { RegistryChanges } from '../app/registry-changes.js';
import { registryTraffic } from '../app/rollouts/registry-traffic.js';
import { monitorFigureSource } from '../app/rollouts/rollout-figures.js';
import { RolloutRunner } from '../app/rollouts/rollout-runner.js';
import { Rollouts } from '../app/rollouts/rollouts.js';
import { type LabelledRowSource, MonitorService, OPEN_WINDOW_RESERVE_BYTES, type PredictionEvent, ShadowComparisons, monitorSchemaFromManifest } from '../monitor/index.js';
import type { Registry } from '../registry/index.js';
import { type BlobStore, KyselyAlertStore, KyselyLeaseStore, type MetadataStore, RetrainPolicyStore, RolloutStore, ShadowComparisonStore, monitorStores } from '../store/index.js';
import { WorkerPool } from '../runtime/worker-pool.js';
import { AccessControl } from './access-control.js';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { DataPlane } from './data-plane.js';
import { type RunningGrpcServer, startGrpcServer } from './grpc/grpc-server.js';
import { createHttpServer } from './http/http-server.js';
import { DriftGauges } from './drift-gauges.js';
import { ServerMetrics } from './metrics.js';
import { listenError } from './listen-error.js';
import { MemoryBudget } from '../runtime/memory-budget.js';
import { startOnnxRuntime } from '../runtime/onnx-environment.js';
import { startWindowMemory } from './window-memory.js';
import { ModelTable } from './model-table.js';
import { putModelFolder } from './model-folder-versions.js';
import { ImageJobs, type ImageJobsOptions } from '../app/image/image-jobs.js';
import { RegistryFollower } from './registry-follower.js';
import { startTemporaryCollection } from './temporary-collection.js';
import { servedReferenceSource } from './served-reference-source.js';
import { ShadowRunner } from './shadow-runner.js';
import { ConnectionDrain } from './http/connection-drain.js';
import { RetrainTriggers } from '../app/retraining/retrain-triggers.js';
import { Retraining } from '../app/retraining/retraining.js';
import { TrainingJobs } from '../app/training-jobs.js';
import { type ModelFile, VersionLoader } from './version-loader.js';

export type { ModelFile } from './version-loader.js';

/** How often this replica writes its shadow comparisons, ms (a report on this replica writes them first). */
const SHADOW_COMPARISON_FLUSH_MS = 5000;
/** How often temporary files are collected, and how long untouched before they count as left over. */
const TEMPORARY_COLLECTION_MS = 60 * 60_000;

/** Options for {@link startServer}. */
export interface StartServerOptions {
  readonly config: Config;
  /** Model files to serve; empty to serve the registry. */
  readonly models: readonly ModelFile[];
  /** The registry to serve and manage (required when `models` is empty and no model folder is given). */
  readonly registry?: Registry;
  /** A model folder to serve read-only instead (see model-folder-versions.ts); needs no registry. */
  readonly modelFolder?: string;
  /** Serves the model folder's one model under this name instead of its own (KServe's InferenceService name). */
  readonly modelFolderName?: string;
  /**
   * Where a model folder's monitoring goes: windows and log segment rows in `store`, segment files
   * in `blobs` (see openLogBlobStore). A registry's database and blob store are used when serving one.
   */
  readonly monitorStore?: { readonly store: MetadataStore; readonly blobs: BlobStore };
  /** With a registry: where log segments go when not the registry's blob store (see openLogBlobStore). */
  readonly logBlobs?: BlobStore;
  /** With a registry: what `POST /api/images` builds with (base, layer cache, Berth's package, this machine). */
  readonly imageBuild?: ImageJobsOptions['build'];
  readonly logger: Logger;
  /** Berth's version, reported by `GET /v2`. */
  readonly version: string;
  /** The clock of the monitor and of rollouts, epoch ms; default Date.now (tests move it). */
  readonly now?: () => number;
  /** Step rollouts and run retraining triggers on timers (default true; tests call `rollouts.runner.tick()` and `retrainTriggers.tick()`). */
  readonly rolloutTimers?: boolean;
  /** Labelled traffic that retraining learns from; default the monitor's (the payload log joined with feedback). */
  readonly labelledRows?: LabelledRowSource;
}

/** A listening server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly port: number;
  /** The gRPC port, when gRPC is served. */
  readonly grpcPort?: number;
  readonly dataPlane: DataPlane;
  /** Rollouts and this replica's runner, when serving a registry with monitoring on. */
  readonly rollouts?: { readonly service: Rollouts; readonly runner: RolloutRunner };
  /** Retraining, when serving a registry; its triggers with monitoring on (tests call `triggers.tick()`). */
  readonly retraining?: Retraining;
  readonly retrainTriggers?: RetrainTriggers;
  /**
   * Shuts down: readiness turns false at once, requests keep being served for `drainDelayMs`
   * (default 0) so load balancers notice, then the listeners close, requests in flight finish
   * (up to `server.shutdownTimeoutMs`), and every model is released. Idempotent; a later call
   * with `now` cuts the delay short.
   */
  close(options?: CloseOptions): Promise<void>;
}

/** Options of {@link RunningServer.close}. */
export interface CloseOptions {
  /** How long to keep serving after readiness turns false, in ms. */
  readonly drainDelayMs?: number;
  /** Skip what is left of the delay (a second signal). */
  readonly now?: boolean;
  /**
   * How long an idle keep-alive connection is kept open once the listener has closed, in ms, so
   * a client that is sending its next request on it is answered rather than reset (default 0:
   * idle connections close at once; the CLI's signal handling passes `server.drainIdleMs`).
   */
  readonly idleGraceMs?: number;
}

/**
 * Loads every model and starts listening. A model file that fails to load stops start-up with
 * BERTH_MODEL_LOAD_FAILED naming the file and the reason; nothing keeps running. Registry
 * versions that fail to load are logged and left out (the others are served).
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config, logger, registry } = options;
  if (options.models.length === 0 && !registry && !options.modelFolder) throw Errors.MODEL_SPEC_INVALID.create('', 'give model files or a registry to serve');
  // API keys live in the registry; without one only the admin token can be checked.
  const servesRegistry = registry !== undefined && options.models.length === 0 && !options.modelFolder;
  const access = new AccessControl({
    adminToken: config.server.adminToken,
    ...(servesRegistry ? { verifyKey: (key: string) => registry.verifyKey(key) } : {}),
  });
  if (config.server.inferenceAuth && !access.enabled) {
    throw Errors.CONFIG_INVALID.create('server.inferenceAuth (BERTH_INFERENCE_AUTH) needs a credential to check: serve a registry (for API keys) or set BERTH_ADMIN_TOKEN');
  }
  const pool = new WorkerPool({
    size: config.runtime.threads || Math.max(1, Math.floor(availableParallelism() / config.server.workers)),
    maxPendingRuns: config.runtime.maxPendingRuns,
    onWorkerError: (error) => logger.error({ err: error }, 'inference worker failed and was replaced'),
  });
  const table = new ModelTable();
  const metrics = new ServerMetrics();
  // A registry's database holds its replicas' monitoring; a model folder's goes to the store given.
  const monitorStore = registry ? registry.store : options.monitorStore?.store;
  const monitorBlobs = registry ? (options.logBlobs ?? registry.blobs) : options.monitorStore?.blobs;
  const monitor =
    monitorStore && monitorBlobs && config.monitor.enabled
      ? new MonitorService({
          stores: monitorStores(monitorStore, { blobs: monitorBlobs }),
          config: config.monitor,
          references: registry ? registryReferenceSource(registry) : servedReferenceSource(table),
          // The monitor sketches a version's features as its bundle's schema names them.
          schemaFor: (model, version) => {
            const manifest = table.get(model, Number(version))?.manifest;
            return manifest ? monitorSchemaFromManifest(manifest) : undefined;
          },
          logger,
          ...(options.now ? { now: options.now } : {}),
          // The data plane is made below; feedback comes only once the server listens.
          beforeFeedback: () => dataPlane.recordAnswered(),
        })
      : undefined;
  const budget = memoryBudget(config, metrics, logger, monitor);
  const windowMemory = budget && monitor ? startWindowMemory({ budget, monitor, intervalMs: config.monitor.flushIntervalMs }) : undefined;
  const loader = new VersionLoader({ pool, config, metrics, logger, ...(budget ? { budget } : {}) });
  let follower: RegistryFollower | undefined;
  let rollouts: { readonly service: Rollouts; readonly runner: RolloutRunner } | undefined;
  // Retraining jobs are training jobs; a better challenger moves production through this replica, so it follows at once.
  const retrainPolicies = registry ? new RetrainPolicyStore(registry.store.db) : undefined;
  // Retraining learns from the payload log's labelled rows unless the caller gives its own.
  const labelledRows = options.labelledRows ?? monitor?.labelledRows;
  const retraining = registry
    ? new Retraining({
        registry,
        labelled: labelledRows,
        policies: retrainPolicies!,
        rollouts: () => rollouts?.service,
        setProduction: async (model, version, actor) => void (await new RegistryChanges(registry, follower).setAlias(model, 'production', version, { actor })),
        ...(options.now ? { now: options.now } : {}),
      })
    : undefined;
  // Training jobs are rows of the registry's database with blobs in its blob store; their work in
  // progress lives beside the registry's home but outside tmp/, and is collected by its own age.
  const trainingJobs = registry
    ? new TrainingJobs({
        retraining,
        config: config.training,
        db: registry.store.db,
        blobs: registry.blobs,
        workDir: join(config.store.home, 'training'),
        onInternalError: (job, detail) => logger.error({ job: job.id, detail }, 'training job failed'),
        onBackgroundError: (error) => logger[retryLogLevel(error)]({ err: error }, 'training jobs: background work failed; retrying'),
      })
    : undefined;
  if (trainingJobs) retraining?.attach(trainingJobs);
  const imageJobs =
    registry && options.imageBuild
      ? new ImageJobs({
          registry,
          workDir: join(config.store.home, 'images'),
          build: options.imageBuild,
          onInternalError: (job, error) => logger.error({ job: job.id, err: error }, 'image build failed'),
        })
      : undefined;
  // What killed processes and failed requests left in BERTH_HOME goes, at start-up and hourly.
  const temporary = registry
    ? startTemporaryCollection({
        registry,
        // A job writes nothing while it trains: its folder is left over only once the job would have timed out.
        folders: [{ dir: join(config.store.home, 'training'), olderThanMs: config.training.maxJobMs + TEMPORARY_COLLECTION_MS }],
        intervalMs: TEMPORARY_COLLECTION_MS,
        olderThanMs: TEMPORARY_COLLECTION_MS,
        onCollected: (removed) => logger.info({ removed }, 'removed temporary files left by interrupted work'),
        onError: (error) => logger.warn({ err: error }, 'temporary files could not be collected; trying again later'),
      })
    : undefined;
  if (monitor) {
    metrics.countMonitorDrops(() => ({ ...monitor.dropped }));
    metrics.countPayloadSink(() => (monitor.sinkCounts ? { ...monitor.sinkCounts } : undefined));
  }
  // Shadows' comparisons are rows of the metadata database, like the monitor's windows.
  const comparisons = monitorStore
    ? new ShadowComparisons({
        store: new ShadowComparisonStore(monitorStore.db),
        windowMs: config.monitor.windowMs,
        replica: monitor?.replica ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
        flushMs: SHADOW_COMPARISON_FLUSH_MS,
        retentionMs: config.monitor.windowRetentionDays * 86_400_000,
        onError: (error) => logger[retryLogLevel(error)]({ err: error }, 'shadow comparisons could not be stored; retrying'),
        ...(options.now ? { now: options.now } : {}),
      })
    : undefined;
  const shadows = new ShadowRunner({
    comparisons,
    metrics,
    maxQueue: config.deployments.shadowQueue,
    concurrency: config.deployments.shadowConcurrency,
    onFailure: (shadow, error) => logger.debug({ model: shadow.name, version: shadow.version, err: error }, 'a shadow failed on a copied request'),
    ...(monitor ? { recorder: shadowRecorderFor(monitor, options.now) } : {}),
  });
  let retrainTriggers: RetrainTriggers | undefined;
  const releaseAll = async () => {
    windowMemory?.close();
    await retrainTriggers?.close();
    await rollouts?.runner.close();
    await follower?.close();
    await shadows.idle();
    await comparisons?.close();
    await trainingJobs?.close();
    await imageJobs?.close();
    await temporary?.close();
    await Promise.allSettled(table.all().map((m) => m.release()));
    await pool.close();
    // Last: flushes the windows and logs of every request answered.
    await monitor?.close();
  };

  try {
    // Under a budget no version loads at start: onnxruntime's one-time set-up belongs to the baseline, not a cold load.
    if (budget) await startOnnxRuntime(config.runtime.intraOpThreads);
    for (const file of options.models) table.put(await loader.loadFile(file), true);
    if (options.modelFolder) {
      // Under a memory budget a folder's versions load on their first request, but for pinned ones.
      const pins = config.runtime.pinnedAliases;
      await putModelFolder(options.modelFolder, table, async (bundle, model, version, aliases) => {
        const pinned = aliases.some((alias) => pins.includes(alias));
        const loaded = await loader.loadBundle(bundle, model, version, bundle.dir, budget !== undefined && !pinned);
        if (pinned) budget?.setPinned(loaded, true);
        return loaded;
      }, options.modelFolderName);
    } else if (options.models.length === 0 && registry) {
      follower = new RegistryFollower({
        registry,
        table,
        logger,
        pollMs: config.registry.pollMs,
        load: (model, version) => loader.loadVersion(registry, model, version),
        ...(budget
          ? { onDemand: { budget, pinnedAliases: config.runtime.pinnedAliases, unloaded: (model: string, version: number) => loader.unloadedVersion(registry, model, version) } }
          : {}),
      });
      await follower.start();
    }
  } catch (error) {
    await releaseAll();
    throw error;
  }

  // Rollouts are judged on the monitor's figures, so they run where the monitor does.
  if (registry && monitor && follower) {
    const now = options.now ?? Date.now;
    const changes = new RegistryChanges(registry, follower);
    const traffic = registryTraffic(registry, changes);
    const store = new RolloutStore(registry.store.db);
    rollouts = {
      service: new Rollouts({ registry, store, traffic, now, rollback: (model, rollback) => changes.rollback(model, rollback) }),
      runner: new RolloutRunner({
        store,
        leases: new KyselyLeaseStore(registry.store.db),
        traffic,
        figures: monitorFigureSource(monitor.reports, comparisons),
        production: async (model) => (await registry.getModel(model)).aliases.production,
        notify: (notification) => monitor.notify(notification),
        replica: monitor.replica,
        now,
        onError: (error, rollout) => logger[retryLogLevel(error)]({ err: error, rollout: rollout?.id, model: rollout?.model }, rollout ? 'rollout could not be checked; retrying' : 'running rollouts could not be read; retrying'),
        onEvent: (event, rollout) => logger.info({ rollout: rollout.id, model: rollout.model, kind: event.kind, step: event.step }, event.message),
      }),
    };
    if (options.rolloutTimers !== false) rollouts.runner.start(config.registry.pollMs);
    // Drift triggers read the monitor's alerts, so retraining triggers run where the monitor does.
    retrainTriggers = new RetrainTriggers({
      retraining: retraining!,
      policies: retrainPolicies!,
      alerts: new KyselyAlertStore(registry.store.db),
      leases: new KyselyLeaseStore(registry.store.db),
      labelled: labelledRows,
      replica: monitor.replica,
      now,
      onError: (error) => logger[retryLogLevel(error)]({ err: error }, 'retraining triggers could not be checked; retrying'),
      onTrigger: (model, trigger, outcome) =>
        outcome.error
          ? logger.warn({ model, trigger: trigger.kind, detail: trigger.detail, error: outcome.error }, 'a retraining trigger could not queue a job')
          : logger.info({ model, trigger: trigger.kind, detail: trigger.detail, job: outcome.job }, 'retraining queued by its policy'),
    });
    if (options.rolloutTimers !== false) retrainTriggers.start(config.registry.pollMs);
  }

  const dataPlane = new DataPlane({
    models: table,
    serverName: 'berth',
    serverVersion: options.version,
    maxResponseBytes: config.server.maxResponseBytes,
    shadows,
    // A version that failed to load keeps the server unready unless the model still answers at
    // its plain name (an earlier version standing in while a new one cannot load).
    unloaded: () =>
      (follower?.failures() ?? []).filter((failure) => {
        const plain = table.defaultVersion(failure.model);
        return plain === undefined || !table.get(failure.model, plain);
      }),
    ...(monitor ? { recorder: recorderFor(monitor, options.now) } : {}),
    onRecordError: (error) => logger.error({ err: error }, 'a prediction could not be recorded for monitoring'),
  });
  // Draining: readiness is false and responses close their connections; closing: the listeners
  // are closed too, after the drain delay.
  let draining = false;
  let closing = false;
  const app = createHttpServer({
    dataPlane,
    metrics,
    logger,
    config,
    isClosing: () => draining,
    serverVersion: options.version,
    ...(registry ? { registry } : {}),
    ...(options.modelFolder ? { servesBundles: true } : {}),
    ...(follower ? { follower } : {}),
    ...(trainingJobs ? { trainingJobs } : {}),
    ...(retraining ? { retraining } : {}),
    ...(imageJobs ? { imageJobs } : {}),
    ...(monitor ? { monitor } : {}),
    ...(comparisons ? { comparisons } : {}),
    ...(rollouts ? { rollouts: rollouts.service, rolloutRunner: rollouts.runner } : {}),
    access,
  });
  const connections = new ConnectionDrain(app.server);
  try {
    await app.listen({ host: config.server.host, port: config.server.port });
  } catch (error) {
    await releaseAll();
    throw listenError('HTTP', config.server.host, config.server.port, error);
  }
  let grpc: RunningGrpcServer | undefined;
  if (config.server.grpcPort !== undefined) {
    try {
      grpc = await startGrpcServer({
        dataPlane,
        metrics,
        logger,
        host: config.server.host,
        port: config.server.grpcPort,
        maxMessageBytes: config.server.bodyLimit,
        isClosing: () => closing,
        ...(config.server.inferenceAuth ? { access } : {}),
        ...(config.server.rateLimitPerMinute > 0
          ? { rateLimit: { limiter: new RateLimiterMemory({ points: config.server.rateLimitPerMinute, duration: 60 }), identify: (authorization: string | undefined) => access.identify(authorization) } }
          : {}),
      });
    } catch (error) {
      await app.close();
      await releaseAll();
      throw listenError('gRPC', config.server.host, config.server.grpcPort, error);
    }
  }
  // Drift per feature as Prometheus gauges, recomputed every window.
  const driftGauges = monitor
    ? new DriftGauges({
        metrics,
        reports: monitor.reports,
        defaultVersions: () => dataPlane.served().filter((s) => s.default),
        intervalMs: config.monitor.windowMs,
        range: formatDuration(config.monitor.gaugeRangeMs),
        logger,
      })
    : undefined;
  driftGauges?.start();
  dataPlane.setReady(true);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;

  let closed: Promise<void> | undefined;
  let endDelay: (() => void) | undefined;
  const close = async (drainDelayMs: number, idleGraceMs: number): Promise<void> => {
    draining = true;
    dataPlane.setReady(false);
    if (drainDelayMs > 0) {
      logger.info({ drainDelayMs }, 'not ready; still serving while load balancers notice');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, drainDelayMs);
        endDelay = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    closing = true;
    await driftGauges?.close();
    await rollouts?.runner.close();
    await follower?.close();
    const timeout = setTimeout(() => {
      logger.warn({ timeoutMs: config.server.shutdownTimeoutMs }, 'requests still in flight at the shutdown deadline; closing their connections');
      app.server.closeAllConnections();
    }, config.server.shutdownTimeoutMs);
    try {
      // Keep-alive clients are let go one by one before Fastify closes the server, which would
      // reset every idle connection at once.
      await Promise.all([connections.close(idleGraceMs), grpc?.close()]);
      await app.close();
    } finally {
      clearTimeout(timeout);
    }
    await releaseAll();
  };
  return {
    url: `http://${host}:${port}`,
    port,
    ...(grpc ? { grpcPort: grpc.port } : {}),
    dataPlane,
    ...(rollouts ? { rollouts } : {}),
    ...(retraining ? { retraining } : {}),
    ...(retrainTriggers ? { retrainTriggers } : {}),
    close: (options: CloseOptions = {}) => {
      if (options.now) endDelay?.();
      return (closed ??= close(options.now ? 0 : (options.drainDelayMs ?? 0), options.idleGraceMs ?? 0));
    },
  };
}

/** What records a request for the monitor; with a clock of its own, stamped by that clock (tests). */
function recorderFor(monitor: MonitorService, now: (() => number) | undefined): (event: PredictionEvent) => void {
  return now ? (event) => monitor.record({ ...event, at: now() }) : (event) => monitor.record(event);
}

/** What records a shadow's copy into its windows; with a clock of its own, stamped by that clock (tests). */
function shadowRecorderFor(monitor: MonitorService, now: (() => number) | undefined): (event: PredictionEvent) => void {
  return now ? (event) => monitor.recordShadow({ ...event, at: now() }) : (event) => monitor.recordShadow(event);
}

/**
 * The memory budget of loaded versions (`runtime.modelMemory`), reporting to metrics and the log;
 * none when it is 0. With a monitor, each version's open windows count in it (window-memory.ts)
 * and are written and freed when the version leaves memory.
 */
function memoryBudget(config: Config, metrics: ServerMetrics, logger: Logger, monitor: MonitorService | undefined): MemoryBudget | undefined {
  const limitBytes = config.runtime.modelMemory;
  if (limitBytes === 0) return undefined;
  metrics.modelMemoryBudget.set(limitBytes);
  return new MemoryBudget({
    limitBytes,
    attachedReserveBytes: monitor ? OPEN_WINDOW_RESERVE_BYTES : 0,
    observer: {
      released: (version) => void monitor?.retire(version.name, String(version.version)),
      unloading: (version, bytes) => {
        metrics.unloads.inc({ model: version.name });
        logger.info({ model: version.name, version: version.version, bytes }, 'unloading the least recently used version to make room');
      },
      usage: (usedBytes, residentVersions) => {
        metrics.modelMemory.set(usedBytes);
        metrics.versionsLoaded.set(residentVersions);
      },
    },
  });
}
