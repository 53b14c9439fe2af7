/**
 * Turns model files and registry versions into loaded, warmed {@link LoadedVersion}s on the
 * server's worker pool, with the batching settings that apply to each and its load metrics.
 * Under a memory budget (`runtime.modelMemory`) every version it makes takes part in the budget,
 * and {@link VersionLoader.unloadedVersion} makes one that loads on its first request.
 */
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Config } from '../core/config.js';
import { BerthError, Errors } from '../core/errors.js';
import type { Signature } from '../core/signature.js';
import type { Bundle, BundleManifest, Registry } from '../registry/index.js';
import type { BatchingSettings } from '../runtime/batcher.js';
import { LoadedVersion, type VersionMemory } from '../runtime/loaded-version.js';
import type { MemoryBudget } from '../runtime/memory-budget.js';
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
  /** The memory budget every version takes part in; absent: versions stay loaded while served. */
  readonly budget?: MemoryBudget;
}

/** Loads model files and registry versions into loaded versions on the shared worker pool. */
export class VersionLoader {
  readonly #options: VersionLoaderOptions;

  constructor(options: VersionLoaderOptions) {
    this.#options = options;
  }

  /** True when versions load on demand under a memory budget. */
  get budgeted(): boolean {
    return this.#options.budget !== undefined;
  }

  /** A model file is served as version 1 of its name. */
  async loadFile(file: ModelFile): Promise<LoadedVersion> {
    const memory = this.#budgeted(file.name, (await stat(file.path)).size);
    const version = new LoadedVersion({
      name: file.name,
      version: 1,
      source: file.path,
      ...(memory ? { memory } : {}),
      open: (warming) => this.#open(file.name, 1, file.path, {}, warming),
    });
    await version.load();
    return version;
  }

  /** A registry version, from its bundle, loaded now. */
  async loadVersion(registry: Registry, model: string, number: number): Promise<LoadedVersion> {
    const { bundle } = await registry.openBundle({ model, kind: 'version', version: number });
    return this.loadBundle(bundle, model, number, `registry:${model}:${number}`);
  }

  /**
   * A registry version under the memory budget that is not loaded yet: its signature, schema and
   * pipeline come from its manifest in the database, and its bundle is fetched from the blob store
   * and loaded on its first request.
   */
  async unloadedVersion(registry: Registry, model: string, number: number): Promise<LoadedVersion> {
    const detail = await registry.getVersion(model, number);
    const modelFile = detail.files.find((f) => f.path === detail.manifest.model.file);
    return this.#version(detail.manifest, model, number, `registry:${model}:${number}`, detail.digest, modelFile?.size ?? detail.size, true, async (warming) => {
      const { bundle } = await registry.openBundle({ model, kind: 'version', version: number });
      return this.#open(model, number, bundle.modelPath, bundle.manifest.serving?.batching ?? {}, warming);
    });
  }

  /**
   * A bundle (from the registry or a model folder): the model, its pipeline (when it has one) and
   * its serving settings. Loaded now, unless `unloaded` and under a memory budget.
   */
  async loadBundle(bundle: Bundle, model: string, number: number, source = bundle.dir, unloaded = false): Promise<LoadedVersion> {
    const manifest = bundle.manifest;
    const modelBytes = (await stat(bundle.modelPath)).size;
    const version = this.#version(manifest, model, number, source, bundle.digest, modelBytes, unloaded, (warming) =>
      this.#open(model, number, bundle.modelPath, manifest.serving?.batching ?? {}, warming),
    );
    if (version.state !== 'unloaded') await version.load();
    return version;
  }

  #version(
    manifest: BundleManifest,
    model: string,
    number: number,
    source: string,
    digest: string,
    modelBytes: number,
    unloaded: boolean,
    open: (warming: () => void) => Promise<OnnxRuntime>,
  ): LoadedVersion {
    const pipeline = manifest.schema && manifest.pipeline ? new Pipeline(manifest.schema, manifest.pipeline) : undefined;
    const memory = this.#budgeted(model, modelBytes, unloaded ? manifest.signature : undefined);
    return new LoadedVersion({
      name: model,
      version: number,
      source,
      digest,
      manifest,
      ...(pipeline ? { pipeline } : {}),
      ...(memory ? { memory } : {}),
      open,
    });
  }

  /** How a version takes part in the memory budget, if there is one; with `signature` it starts unloaded. */
  #budgeted(model: string, modelBytes: number, signature?: Signature): VersionMemory | undefined {
    const { budget, pool, config, metrics, logger } = this.#options;
    if (!budget) return undefined;
    return {
      budget,
      modelBytes,
      // While it loads, a version holds a probe session besides one per worker thread.
      loadSessions: pool.size + 1,
      coldLoadTimeoutMs: config.runtime.coldLoadTimeoutMs,
      ...(signature ? { signature, startUnloaded: true } : {}),
      onColdLoad: (seconds, error) => {
        metrics.coldLoads.inc({ model, outcome: error === undefined ? 'success' : 'failure' });
        if (error === undefined) metrics.coldLoadSeconds.observe(seconds);
        else logger.error({ model, err: error }, 'a version could not be loaded for a request');
      },
      onColdWait: (outcome) => metrics.coldLoadWaits.inc({ model, outcome }),
    };
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
        // Under a memory budget sessions keep no arena: less memory per version, no CPU cost measured on small models.
        ...(this.#options.budget ? { memoryArena: false } : {}),
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
