/**
 * `berth serve`: serve ONNX model files, or (given none) the registry in BERTH_HOME or the
 * database named, over the inference protocols until told to stop.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../core/config.js';
import { Errors } from '../../core/errors.js';
import { openRegistry } from '../../registry/index.js';
import { type BlobStore, openLogBlobStore, openMetadataStore } from '../../store/index.js';
import { type RunningServer, startServer } from '../../serve/server.js';
import { parseModelFolderSpec, parseModelSpecs } from '../model-spec.js';
import { blobLocation } from '../with-registry.js';
import { berthPackageRoot } from '../package-info.js';
import { tuneHeap } from '../tune-heap.js';

/** Options of `berth serve`. */
export interface ServeOptions {
  /** Model file arguments; empty to serve the registry. */
  readonly models: readonly string[];
  readonly config: Config;
  readonly logger: Logger;
  readonly version: string;
  /** Where human-readable status lines go. */
  readonly print: (line: string) => void;
}

/** Starts serving; resolves with the running server once it listens. */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const { config } = options;
  tuneHeap(config.server.heapGrowthPercent);
  if (options.models.length === 0) return serveRegistry(options);
  const folder = parseModelFolderSpec(options.models);
  if (folder) return serveModelFolder(options, resolve(folder.dir), folder.name);
  const specs = parseModelSpecs(options.models);
  const files = specs.map((s) => ({ name: s.name, path: resolve(s.path) }));
  for (const file of files) {
    if (!existsSync(file.path)) throw Errors.BUNDLE_NOT_FOUND.create(file.path, 'no such file');
  }
  const server = await startServer({ config, models: files, logger: options.logger, version: options.version });
  const names = files.map((f) => f.name).join(', ');
  options.print(`Berth ${options.version} serving ${files.length} model${files.length === 1 ? '' : 's'} (${names}) at ${server.url}${grpcNote(server)}`);
  return server;
}

function grpcNote(server: RunningServer): string {
  return server.grpcPort === undefined ? '' : ` (gRPC on port ${server.grpcPort})`;
}

/**
 * Serves a model folder (an image's /models): read-only, no registry. Monitoring windows go to
 * the configured database, else to a SQLite file in BERTH_HOME (a tmpfs in the image); the
 * prediction and payload logs' segment files to the blob store that belongs with that database
 * (openLogBlobStore: `store.blobs`, else beside the SQLite file). With `name` its one model is
 * served under that name (KServe's InferenceService name).
 */
async function serveModelFolder(options: ServeOptions, dir: string, name?: string): Promise<RunningServer> {
  const { config } = options;
  const store = config.monitor.enabled
    ? await openMetadataStore({ home: config.store.home, databaseUrl: config.store.databaseUrl, schema: config.store.databaseSchema, poolSize: config.store.databasePoolSize, lockWaitMs: config.store.databaseLockWaitMs })
    : undefined;
  let server: RunningServer;
  let blobs: BlobStore | undefined;
  try {
    if (store) {
      const opened = await openLogBlobStore({ ...blobLocation(config), home: config.store.home, databaseUrl: config.store.databaseUrl });
      blobs = opened.blobs;
      if (!opened.shared) {
        options.logger.warn(
          { blobs: blobs.description },
          'the prediction and payload logs go to a blob folder only this replica sees: other replicas cannot join feedback to them; set BERTH_BLOBS (store.blobs) to a store they share',
        );
      }
    }
    server = await startServer({ config, models: [], modelFolder: dir, ...(name !== undefined ? { modelFolderName: name } : {}), ...(store && blobs ? { monitorStore: { store, blobs } } : {}), logger: options.logger, version: options.version });
  } catch (error) {
    blobs?.close();
    await store?.close();
    throw error;
  }
  const served = server.dataPlane.served();
  const versions = served.map((s) => `${s.model}:${s.version}`).join(', ');
  options.print(`Berth ${options.version} serving the model folder ${dir} (${versions}) at ${server.url}${grpcNote(server)}`);
  return {
    ...server,
    close: async (closeOptions) => {
      await server.close(closeOptions);
      blobs?.close();
      await store?.close();
    },
  };
}

async function serveRegistry(options: ServeOptions): Promise<RunningServer> {
  const { config } = options;
  const registry = await openRegistry({
    home: config.store.home,
    databaseUrl: config.store.databaseUrl,
    schema: config.store.databaseSchema,
    poolSize: config.store.databasePoolSize,
    lockWaitMs: config.store.databaseLockWaitMs,
    blobs: blobLocation(config),
    actor: { interface: 'server' },
  });
  let server: RunningServer;
  // Log segments go where openLogBlobStore says, which is the registry's blob store but for a
  // `sqlite:<file>` database without store.blobs (then beside the file, as a model folder's).
  const sqliteFile = config.store.blobs === undefined && /^sqlite:/i.test(config.store.databaseUrl ?? '');
  let logBlobs: BlobStore | undefined;
  try {
    if (sqliteFile) logBlobs = (await openLogBlobStore({ ...blobLocation(config), home: config.store.home, databaseUrl: config.store.databaseUrl })).blobs;
    server = await startServer({
      config,
      models: [],
      registry,
      ...(logBlobs ? { logBlobs } : {}),
      logger: options.logger,
      version: options.version,
      imageBuild: {
        base: { kind: 'host' },
        cacheDir: join(config.store.home, 'cache', 'images'),
        packageRoot: berthPackageRoot(),
        berthVersion: options.version,
        host: { nodeBinary: process.execPath, nodeVersion: process.versions.node, platform: process.platform, arch: process.arch },
      },
    });
  } catch (error) {
    logBlobs?.close();
    await registry.close();
    throw error;
  }
  const served = server.dataPlane.served();
  const models = new Set(served.map((s) => s.model));
  const where = config.store.databaseUrl ? 'the registry database' : `the registry in ${resolve(config.store.home)}`;
  options.print(
    `Berth ${options.version} serving ${where} (${models.size} model${models.size === 1 ? '' : 's'}, ${served.length} version${served.length === 1 ? '' : 's'}) at ${server.url}${grpcNote(server)}`,
  );
  return {
    ...server,
    dataPlane: server.dataPlane,
    close: async (closeOptions) => {
      await server.close(closeOptions);
      logBlobs?.close();
      await registry.close();
    },
  };
}
