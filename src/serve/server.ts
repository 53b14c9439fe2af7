/**
 * The server's composition: loads models into runtimes, puts them in the model table, starts the
 * HTTP transport, and shuts everything down in order.
 */
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { Config } from '../core/config.js';
import { BerthError, Errors } from '../core/errors.js';
import type { BatcherObserver } from '../runtime/batcher.js';
import { OnnxRuntime } from '../runtime/onnx-runtime.js';
import { WorkerPool } from '../runtime/worker-pool.js';
import { DataPlane } from './data-plane.js';
import { createHttpServer } from './http/http-server.js';
import { ServerMetrics } from './metrics.js';
import { ModelTable } from './model-table.js';

/** A model to serve from a file. */
export interface ModelFile {
  readonly name: string;
  readonly path: string;
}

/** Options for {@link startServer}. */
export interface StartServerOptions {
  readonly config: Config;
  readonly models: readonly ModelFile[];
  readonly logger: Logger;
  /** Berth's version, reported by `GET /v2`. */
  readonly version: string;
}

/** A listening server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly port: number;
  readonly dataPlane: DataPlane;
  /** Stops accepting, lets requests in flight finish, releases every model. Idempotent. */
  close(): Promise<void>;
}

/**
 * Loads every model and starts listening. A model that fails to load stops start-up with
 * BERTH_MODEL_LOAD_FAILED naming the file and the reason; nothing keeps running.
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config, logger } = options;
  const pool = new WorkerPool({
    size: config.runtime.threads || Math.max(1, Math.floor(availableParallelism() / config.server.workers)),
    onWorkerError: (error) => logger.error({ err: error }, 'inference worker failed and was replaced'),
  });
  const models = new ModelTable();
  const metrics = new ServerMetrics();
  try {
    for (const file of options.models) {
      const started = performance.now();
      const runtime = await loadRuntime(file, pool, config, metrics.batcherObserver(file.name, '1'));
      const seconds = (performance.now() - started) / 1000;
      metrics.loadSeconds.set({ model: file.name, version: '1' }, seconds);
      models.put({ name: file.name, version: '1', runtime, source: file.path }, true);
      logger.info(
        {
          model: file.name,
          path: file.path,
          loadSeconds: Number(seconds.toFixed(3)),
          warmRunUs: runtime.report.warmRunUs,
          inline: runtime.report.inline,
          skippedOutputs: runtime.report.skippedOutputs.length ? runtime.report.skippedOutputs : undefined,
          rewrites: runtime.report.rewrites.length ? runtime.report.rewrites : undefined,
        },
        'model loaded',
      );
    }
  } catch (error) {
    await Promise.allSettled(models.all().map((m) => m.runtime.release()));
    await pool.close();
    throw error;
  }

  const dataPlane = new DataPlane({ models, serverName: 'berth', serverVersion: options.version });
  let closing = false;
  const app = createHttpServer({ dataPlane, metrics, logger, bodyLimit: config.server.bodyLimit, isClosing: () => closing });
  try {
    await app.listen({ host: config.server.host, port: config.server.port });
  } catch (error) {
    await Promise.allSettled(models.all().map((m) => m.runtime.release()));
    await pool.close();
    throw error;
  }
  dataPlane.setReady(true);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;

  let closed: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    closing = true;
    dataPlane.setReady(false);
    const timeout = setTimeout(() => {
      logger.warn({ timeoutMs: config.server.shutdownTimeoutMs }, 'requests still in flight at the shutdown deadline; closing their connections');
      app.server.closeAllConnections();
    }, config.server.shutdownTimeoutMs);
    try {
      await app.close();
    } finally {
      clearTimeout(timeout);
    }
    await Promise.allSettled(models.all().map((m) => m.runtime.release()));
    await pool.close();
  };
  return {
    url: `http://${host}:${port}`,
    port,
    dataPlane,
    close: () => (closed ??= close()),
  };
}

async function loadRuntime(file: ModelFile, pool: WorkerPool, config: Config, observer: BatcherObserver): Promise<OnnxRuntime> {
  try {
    return await OnnxRuntime.load(file.path, {
      label: file.name,
      batching: { ...config.batching, ...(config.models[file.name]?.batching ?? {}) },
      observer,
      pool,
      key: file.name,
      intraOpThreads: config.runtime.intraOpThreads,
      execution: config.runtime.execution,
      inlineBudgetUs: config.runtime.inlineBudgetUs,
    });
  } catch (error) {
    if (error instanceof BerthError) throw error;
    throw Errors.MODEL_LOAD_FAILED.create(file.path, error instanceof Error ? error.message : String(error));
  }
}
