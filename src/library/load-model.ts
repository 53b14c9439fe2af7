/**
 * The in-process library: `loadModel` opens a bundle, a `.berth` archive, a plain ONNX file or a
 * registry version inside the caller's own Node process, and answers through the server's own
 * parts: the loaded version and onnxruntime runtime (worker pool, batcher, inline runs for tiny
 * models), the pipeline, and the data plane, which observes every request the way a server does.
 * Given a database, predictions feed a monitor that writes the same windows a server replica
 * writes, so an embedded model shows up in the dashboard's drift report.
 *
 * @example
 *   import { loadModel } from 'berth';
 *   const model = await loadModel('loans.berth');
 *   const { predictions } = await model.predict([{ age: 41, employment: 'salaried' }]);
 *   await model.close();
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { registryReferenceSource } from '../app/registry-reference-source.js';
import { type Config, type ConfigInput, buildConfig } from '../core/config.js';
import { type EmbeddedModel, type PredictResult, type TensorInput, predictionWarnings } from '../core/embedded-model.js';
import { BerthError, Errors } from '../core/errors.js';
import type { FeatureSchema } from '../core/feature-schema.js';
import { parseModelRef } from '../core/model-ref.js';
import { validateModelName } from '../core/names.js';
import { inputsForSignature } from '../core/signature-inputs.js';
import type { Signature } from '../core/signature.js';
import type { Tensor } from '../core/tensor.js';
import { MonitorService, type PredictionEvent, type ReferenceSource, monitorSchemaFromManifest } from '../monitor/index.js';
import { type Bundle, type Registry, importBundle, loadBundle, looksLikeArchive, openRegistry } from '../registry/index.js';
import { LoadedVersion } from '../runtime/loaded-version.js';
import { OnnxRuntime } from '../runtime/onnx-runtime.js';
import { Pipeline } from '../runtime/pipeline.js';
import { WorkerPool } from '../runtime/worker-pool.js';
import { DataPlane, type RequestContext } from '../serve/data-plane.js';
import { ModelTable } from '../serve/model-table.js';
import { servedReferenceSource } from '../serve/served-reference-source.js';
import { type BlobStore, type MetadataStore, monitorStores, openLogBlobStore } from '../store/index.js';
import { openMetadataStore } from '../store/metadata-store.js';

/** Where a registry lives: its BERTH_HOME, and optionally a PostgreSQL database and S3 blobs. */
export interface RegistryLocation {
  /** BERTH_HOME (`berth.db` unless `databaseUrl` is given, `blobs/`, `bundles/`). */
  readonly home: string;
  /** `postgres://…` or `sqlite:file.db`. */
  readonly databaseUrl?: string;
  /** PostgreSQL schema of Berth's tables. */
  readonly schema?: string;
  /** `s3://bucket/prefix` or a folder; default BERTH_HOME/blobs. */
  readonly blobs?: string;
}

/** A version in a registry: `{ registry: '.berth', ref: 'loans@production' }`. */
export interface RegistryModel {
  /** A BERTH_HOME folder, or its full location. */
  readonly registry: string | RegistryLocation;
  /** `name`, `name@alias` or `name:version`. */
  readonly ref: string;
}

/** What to load: a bundle folder, a `.berth` archive, an `.onnx` file, or a registry version. */
export type ModelSource = string | RegistryModel;

/** Where an embedded model's monitoring windows go: a database of the same form a server uses. */
export interface MonitorTarget {
  /** BERTH_HOME whose `berth.db` receives them (when no `databaseUrl`). */
  readonly home?: string;
  /** `postgres://…` or `sqlite:file.db`. */
  readonly databaseUrl?: string;
  readonly schema?: string;
  /**
   * Where the prediction and payload logs' segment files go: `s3://bucket/prefix` or a folder
   * (config `store.blobs` fills it; `store.s3Endpoint` and `store.s3ForcePathStyle` apply); default
   * the blob store that belongs with the database (BERTH_HOME/blobs, or `<file>.blobs` beside a
   * `sqlite:` file).
   */
  readonly blobs?: string;
}

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /**
   * Record predictions for the monitor. `true` uses the registry's database (for a registry
   * version); a {@link MonitorTarget} names another. Off by default. Windows are written as a
   * server writes them (every `monitor.flushIntervalMs`, and on `close()`).
   */
  readonly monitor?: boolean | MonitorTarget;
  /** The model's name where the source has none of its own (an `.onnx` file); default the file's name. */
  readonly name?: string;
  /**
   * Berth settings, as a config file holds them (`runtime`, `batching`, `monitor`, `models`).
   * Defaults: one inference worker thread (`runtime.threads`, 0 for one per core); models
   * whose run costs under `runtime.inlineBudgetUs` run inline on the calling thread.
   */
  readonly config?: ConfigInput;
}

/** A model version loaded in this process; see {@link EmbeddedModel}. */
export interface LoadedModel extends EmbeddedModel {
  /** The bundle's digest (`sha256:…`); undefined for a plain ONNX file. */
  readonly digest: string | undefined;
  /** The bundle's manifest; undefined for a plain ONNX file. */
  readonly manifest: Readonly<Record<string, unknown>> | undefined;
  /** The monitor recording this model's predictions, when `monitor` was asked for (reports, feedback). */
  readonly monitor: MonitorService | undefined;
}

const PREDICT: RequestContext = { requestId: '', protocol: 'predict' };
const INFER: RequestContext = { requestId: '', protocol: 'v2-rest' };

/** Things to undo when loading fails or the model closes, last opened first. */
class Closers {
  readonly #closers: (() => Promise<unknown> | unknown)[] = [];
  add(close: () => Promise<unknown> | unknown): void {
    this.#closers.push(close);
  }
  async run(): Promise<void> {
    let failure: unknown;
    for (const close of this.#closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }
}

/** What a source resolved to: a bundle (with its name and version) or a plain ONNX file. */
interface Resolved {
  readonly name: string;
  readonly version: number;
  readonly source: string;
  readonly bundle: Bundle | undefined;
  readonly modelPath: string;
  readonly registry: Registry | undefined;
}

/**
 * Loads a model into this process. Throws the catalogue's errors: BERTH_BUNDLE_* for a bundle or
 * archive that is missing or damaged, BERTH_REGISTRY_* for a reference the registry cannot
 * resolve, BERTH_MODEL_LOAD_FAILED when onnxruntime refuses the model.
 *
 * @example
 *   const model = await loadModel({ registry: '.berth', ref: 'loans@production' }, { monitor: true });
 */
export async function loadModel(source: ModelSource, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const config = buildConfig(options.config ?? {});
  const closers = new Closers();
  try {
    const resolved = await resolveSource(source, options, closers);
    const manifest = resolved.bundle?.manifest as unknown as Readonly<Record<string, unknown>> | undefined;
    const spec = resolved.bundle?.manifest;
    const pipeline = spec?.schema && spec.pipeline ? new Pipeline(spec.schema, spec.pipeline) : undefined;
    // One worker unless asked: an embedded model shares the machine with the app around it.
    const threads = options.config?.runtime?.threads ?? 1;
    const pool = new WorkerPool({ size: threads || availableParallelism(), maxPendingRuns: config.runtime.maxPendingRuns });
    closers.add(() => pool.close());
    const version = new LoadedVersion({
      name: resolved.name,
      version: resolved.version,
      source: resolved.source,
      ...(resolved.bundle ? { digest: resolved.bundle.digest } : {}),
      ...(manifest ? { manifest } : {}),
      ...(pipeline ? { pipeline } : {}),
      open: (warming) => openRuntime(config, pool, resolved, warming),
    });
    await version.load();
    closers.add(() => version.release());
    const table = new ModelTable();
    table.put(version, true);
    const monitor = await openMonitor(options.monitor, config, resolved, table, closers);
    if (monitor) {
      // Closed first (closers run last added first), yet only once the version has drained and
      // the data plane has handed the monitor its last predictions: then the open windows flush.
      closers.add(async () => {
        await version.release();
        await new Promise((resolve) => setImmediate(resolve));
        await monitor.close();
      });
    }
    const dataPlane = new DataPlane({
      models: table,
      serverName: 'berth',
      serverVersion: '',
      ...(monitor ? { recorder: (event: PredictionEvent) => monitor.record(event) } : {}),
    });
    dataPlane.setReady(true);
    return new InProcessModel(version, dataPlane, pipeline?.schema, monitor, closers);
  } catch (error) {
    await closers.run().catch(() => undefined);
    throw error;
  }
}

async function resolveSource(source: ModelSource, options: LoadModelOptions, closers: Closers): Promise<Resolved> {
  if (typeof source !== 'string') {
    if (source === null || typeof source !== 'object' || typeof source.ref !== 'string' || source.registry === undefined) {
      throw Errors.REQUEST_INVALID.create("loadModel takes a bundle folder, a .berth archive, an .onnx file or { registry, ref: 'name@alias' }");
    }
    const location: RegistryLocation = typeof source.registry === 'string' ? { home: source.registry } : source.registry;
    const registry = await openRegistry({
      home: location.home,
      databaseUrl: location.databaseUrl,
      schema: location.schema,
      ...(location.blobs !== undefined ? { blobs: { blobs: location.blobs } } : {}),
      actor: { interface: 'library' },
    });
    closers.add(() => registry.close());
    const { version, bundle } = await registry.openBundle(parseModelRef(source.ref));
    return { name: version.model, version: version.version, source: `registry:${version.model}:${version.version}`, bundle, modelPath: bundle.modelPath, registry };
  }
  const found = await stat(source).catch(() => undefined);
  if (!found) throw Errors.BUNDLE_NOT_FOUND.create(source, 'no such file or folder');
  let bundle: Bundle;
  if (found.isDirectory()) {
    bundle = await loadBundle(source);
  } else if (extname(source).toLowerCase() === '.onnx' || !(await looksLikeArchive(source))) {
    const name = options.name ?? basename(source, extname(source));
    validateModelName(name);
    return { name, version: 1, source, bundle: undefined, modelPath: source, registry: undefined };
  } else {
    // The runtime's workers load the model by path (and again if one dies): the unpacked copy
    // lives until close().
    const dir = await mkdtemp(join(tmpdir(), 'berth-model-'));
    closers.add(() => rm(dir, { recursive: true, force: true }));
    bundle = await importBundle(source, join(dir, 'bundle'));
  }
  const name = options.name ?? bundle.manifest.name;
  return { name, version: 1, source, bundle, modelPath: bundle.modelPath, registry: undefined };
}

async function openRuntime(config: Config, pool: WorkerPool, resolved: Resolved, warming: () => void): Promise<OnnxRuntime> {
  try {
    return await OnnxRuntime.load(resolved.modelPath, {
      pool,
      key: `${resolved.name}:${resolved.version}`,
      label: resolved.name,
      intraOpThreads: config.runtime.intraOpThreads,
      execution: config.runtime.execution,
      inlineBudgetUs: config.runtime.inlineBudgetUs,
      // The same precedence as the server: defaults < the bundle's settings < per-model config.
      batching: { ...config.batching, ...(resolved.bundle?.manifest.serving?.batching ?? {}), ...(config.models[resolved.name]?.batching ?? {}) },
      onWarming: warming,
    });
  } catch (error) {
    if (error instanceof BerthError) throw error;
    throw Errors.MODEL_LOAD_FAILED.create(resolved.modelPath, error instanceof Error ? error.message : String(error), { cause: error });
  }
}

async function openMonitor(
  target: LoadModelOptions['monitor'],
  config: Config,
  resolved: Resolved,
  table: ModelTable,
  closers: Closers,
): Promise<MonitorService | undefined> {
  if (target === undefined || target === false || !config.monitor.enabled) return undefined;
  let store: MetadataStore;
  let blobs: BlobStore;
  let references: ReferenceSource;
  if (target === true) {
    if (!resolved.registry) {
      throw Errors.REQUEST_INVALID.create('monitor: true records into the registry the model came from; for a file or bundle, pass monitor: { home } or { databaseUrl }');
    }
    store = resolved.registry.store;
    blobs = resolved.registry.blobs;
    references = registryReferenceSource(resolved.registry);
  } else {
    if (target.home === undefined && target.databaseUrl === undefined) {
      throw Errors.REQUEST_INVALID.create('monitor needs { home } (a BERTH_HOME) or { databaseUrl } to write its windows to');
    }
    store = await openMetadataStore({ home: target.home ?? tmpdir(), databaseUrl: target.databaseUrl, schema: target.schema });
    closers.add(() => store.close());
    ({ blobs } = await openLogBlobStore({
      home: target.home ?? tmpdir(),
      databaseUrl: target.databaseUrl,
      blobs: target.blobs ?? config.store.blobs,
      s3Endpoint: config.store.s3Endpoint,
      s3ForcePathStyle: config.store.s3ForcePathStyle,
    }));
    closers.add(() => blobs.close());
    references = resolved.registry ? registryReferenceSource(resolved.registry) : servedReferenceSource(table);
  }
  const manifest = table.get(resolved.name, resolved.version)?.manifest;
  const schema = manifest ? monitorSchemaFromManifest(manifest) : undefined;
  const monitor = new MonitorService({
    stores: monitorStores(store, { blobs }),
    config: config.monitor,
    references,
    schemaFor: (model, version) => (model === resolved.name && version === String(resolved.version) ? schema : undefined),
  });
  return monitor;
}

/** The {@link LoadedModel} of {@link loadModel}: converts and delegates to the data plane. */
class InProcessModel implements LoadedModel {
  readonly #version: LoadedVersion;
  readonly #dataPlane: DataPlane;
  readonly #closers: Closers;
  #closed: Promise<void> | undefined;

  constructor(
    version: LoadedVersion,
    dataPlane: DataPlane,
    readonly schema: FeatureSchema | undefined,
    readonly monitor: MonitorService | undefined,
    closers: Closers,
  ) {
    this.#version = version;
    this.#dataPlane = dataPlane;
    this.#closers = closers;
  }

  get name(): string {
    return this.#version.name;
  }

  get version(): number {
    return this.#version.version;
  }

  get digest(): string | undefined {
    return this.#version.digest;
  }

  get manifest(): Readonly<Record<string, unknown>> | undefined {
    return this.#version.manifest;
  }

  get signature(): Signature {
    return this.#version.signature;
  }

  async predict(records: readonly unknown[]): Promise<PredictResult> {
    if (!Array.isArray(records)) throw Errors.REQUEST_INVALID.create('predict takes an array of records (objects of feature name to value)');
    const result = await this.#dataPlane.predict(this.#version, records, PREDICT);
    const warnings = predictionWarnings(result, this.schema);
    return { model: this.name, version: this.version, predictions: result.predictions, ...(warnings.length ? { warnings } : {}) };
  }

  async infer(tensors: readonly TensorInput[], outputs?: readonly string[]): Promise<Tensor[]> {
    if (!Array.isArray(tensors)) throw Errors.REQUEST_INVALID.create('infer takes an array of tensors ({ name, datatype, shape, data })');
    const inputs = inputsForSignature(this.#version.signature, tensors, this.name);
    const response = await this.#dataPlane.infer(
      this.#version,
      {
        inputs: inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: { decode: () => t.data } })),
        ...(outputs && outputs.length > 0 ? { outputs: outputs.map((name) => ({ name })) } : {}),
      },
      INFER,
    );
    return [...response.outputs];
  }

  close(): Promise<void> {
    this.#closed ??= this.#closers.run();
    return this.#closed;
  }
}
