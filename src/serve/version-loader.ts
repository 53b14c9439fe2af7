/**
 * Turns model files and registry versions into loaded, warmed {@link LoadedVersion}s on the
 * server's worker pool, with the batching settings that apply to each and its load metrics.
 */
import type { Logger } from 'pino';
import type { Config } from '../core/config.js';
import { BerthError, Errors } from '../core/errors.js';
import type { Bundle, Registry } from '../registry/index.js';
import type { BatchingSettings } from '../runtime/batcher.js';
import { LoadedVersion } from '../runtime/loaded-version.js';
import { OnnxRuntime } from '../runtime/onnx-runtime.js';
import { Pipeline } from '../runtime/pipeline.js';
import type { WorkerPool } from '../runtime/worker-pool.js';
import type { ServerMetrics } from './metrics.js';

/** A model to serve from a file. */
export interface ModelFile {
  readonly name: string;
  readonly path: string;
}

/** Options for {@link VersionLoader}. */
export interface VersionLoaderOptions {
  readonly pool: WorkerPool;
  readonly config: Config;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
}

/** Loads model files and registry versions into loaded versions on the shared worker pool. */
export class VersionLoader {
  readonly #options: VersionLoaderOptions;

  constructor(options: VersionLoaderOptions) {
    this.#options = options;
  }

  /** A model file is served as version 1 of its name. */
  async loadFile(file: ModelFile): Promise<LoadedVersion> {
    const version = new LoadedVersion({
      name: file.name,
      version: 1,
      source: file.path,
      open: (warming) => this.#open(file.name, 1, file.path, {}, warming),
    });
    await version.load();
    return version;
  }

  /** A registry version, from its bundle. */
  async loadVersion(registry: Registry, model: string, number: number): Promise<LoadedVersion> {
    const { bundle } = await registry.openBundle({ model, kind: 'version', version: number });
    return this.loadBundle(bundle, model, number, `registry:${model}:${number}`);
  }

  /** A bundle (from the registry or a model folder): the model, its pipeline (when it has one) and its serving settings. */
  async loadBundle(bundle: Bundle, model: string, number: number, source = bundle.dir): Promise<LoadedVersion> {
    const manifest = bundle.manifest;
    const pipeline = manifest.schema && manifest.pipeline ? new Pipeline(manifest.schema, manifest.pipeline) : undefined;
    const version = new LoadedVersion({
      name: model,
      version: number,
      source,
      digest: bundle.digest,
      manifest,
      ...(pipeline ? { pipeline } : {}),
      open: (warming) => this.#open(model, number, bundle.modelPath, manifest.serving?.batching ?? {}, warming),
    });
    await version.load();
    return version;
  }

  async #open(name: string, version: number, path: string, bundleBatching: Partial<BatchingSettings>, warming: () => void): Promise<OnnxRuntime> {
    const { pool, config, metrics, logger } = this.#options;
    const started = performance.now();
    const label = String(version);
    let runtime: OnnxRuntime;
    try {
      runtime = await OnnxRuntime.load(path, {
        pool,
        key: `${name}:${version}`,
        label: name,
        intraOpThreads: config.runtime.intraOpThreads,
        execution: config.runtime.execution,
        inlineBudgetUs: config.runtime.inlineBudgetUs,
        // Precedence: server defaults < the bundle's own settings < the operator's per-model config.
        batching: { ...config.batching, ...bundleBatching, ...(config.models[name]?.batching ?? {}) },
        observer: metrics.batcherObserver(name, label),
        onWarming: warming,
      });
    } catch (error) {
      if (error instanceof BerthError) throw error;
      throw Errors.MODEL_LOAD_FAILED.create(path, error instanceof Error ? error.message : String(error), { cause: error });
    }
    const seconds = (performance.now() - started) / 1000;
    metrics.loadSeconds.set({ model: name, version: label }, seconds);
    logger.info(
      {
        model: name,
        version,
        path,
        loadSeconds: Number(seconds.toFixed(3)),
        warmRunUs: runtime.report.warmRunUs,
        inline: runtime.report.inline,
        workerSessions: runtime.report.workerSessions,
        batching: runtime.batches,
        skippedOutputs: runtime.report.skippedOutputs.length ? runtime.report.skippedOutputs : undefined,
        rewrites: runtime.report.rewrites.length ? runtime.report.rewrites : undefined,
      },
      'model loaded',
    );
    return runtime;
  }
}
