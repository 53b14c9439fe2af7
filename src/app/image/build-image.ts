/**
 * `berth build`: turns registered versions into an OCI image without a container engine. Layers,
 * in the order that lets registries and nodes cache them: the runtime (this machine's Node and
 * libraries with `--base host`, or a base image's layers), Berth with its production
 * dependencies, then the models folder. A new version of a model changes only the last layer; the
 * others come from the layer cache. The same inputs give the same image digest.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Errors } from '../../core/errors.js';
import type { Bundle, ModelFolderVersion, Registry } from '../../registry/index.js';
import { MANIFEST_FILE, MODEL_FOLDER_INDEX, modelFolderIndexText, modelFolderPath } from '../../registry/index.js';
import { berthPackageFiles } from './berth-package-files.js';
import { IMAGE_NODE_PATH, IMAGE_USER, hostModelcarTools, hostRuntimeEntries } from './host-runtime.js';
import { imageLabels } from './image-labels.js';
import { type LayerEntry, contentEntry, fileEntry } from './layer-entry.js';
import { LayerCache } from './layer-cache.js';
import { type BaseImage, readOciBase } from './oci-base.js';
import { writeOciArchive } from './oci-archive.js';
import { CONFIG_MEDIA_TYPE, type Descriptor, IMAGE_CREATED, type ImageConfig, MANIFEST_MEDIA_TYPE, imageIndex, imageManifest, jsonBlob } from './oci-image.js';
import { pullBase } from './registry-pull.js';
import { type PushResult, pushImage } from './registry-push.js';

/** Where the models folder lives in an image (server and modelcar alike). */
export const IMAGE_MODELS_DIR = '/models';
/** The port the image's server listens on. */
export const IMAGE_PORT = 8080;
/** The one writable path the server needs (a tmpfs under a read-only root). */
export const IMAGE_WRITABLE_DIR = '/tmp';

/** Where the image's runtime comes from. */
export type ImageBase =
  | { readonly kind: 'host' }
  | { readonly kind: 'oci'; readonly path: string }
  | { readonly kind: 'registry'; readonly reference: string };

/** Options of {@link buildImage}. */
export interface BuildImageOptions {
  readonly registry: Registry;
  /** `name`, `name@alias` or `name:version`, at least one. */
  readonly references: readonly string[];
  readonly base: ImageBase;
  /** Only the models layer (bundles under /models), for KServe's modelcar `oci://` storage. */
  readonly modelcar?: boolean;
  /** Write the image as an OCI archive here. */
  readonly output?: string | undefined;
  /** The image's name in the archive (`podman load` shows it), e.g. `loans:3`. */
  readonly tag?: string | undefined;
  /** Push to `host[:port]/repository:tag` over the distribution API. */
  readonly push?: string | undefined;
  /** Push and pull over plain HTTP (registries on loopback in tests). */
  readonly insecureRegistry?: boolean;
  /** Docker's config.json, for registry credentials. */
  readonly dockerConfig?: string | undefined;
  /** Layers kept between builds. */
  readonly cacheDir: string;
  /** The Berth package to put in the image (the folder with its package.json). */
  readonly packageRoot: string;
  readonly berthVersion: string;
  /** This machine, for `--base host`. */
  readonly host: { readonly nodeBinary: string; readonly nodeVersion: string; readonly platform: string; readonly arch: string };
  /** Steps as they happen, for progress output. */
  readonly onProgress?: (step: string) => void;
}

/** One layer of a built image. */
export interface BuiltLayer {
  readonly name: string;
  readonly digest: string;
  readonly size: number;
  readonly uncompressedSize: number;
  /** Taken from the layer cache (or the base) instead of written. */
  readonly cached: boolean;
}

/** What {@link buildImage} made. */
export interface BuildImageResult {
  /** The manifest's digest: the image's identity in registries and `podman inspect`. */
  readonly digest: string;
  readonly configDigest: string;
  readonly versions: readonly ModelFolderVersion[];
  readonly layers: readonly BuiltLayer[];
  /** Compressed bytes of all layers (what a pull transfers). */
  readonly size: number;
  /** Uncompressed bytes of all layers (what the image takes on disk). */
  readonly uncompressedSize: number;
  readonly archive?: { readonly path: string; readonly bytes: number };
  readonly pushed?: PushResult;
}

/**
 * Builds the image. Throws the registry's not-found errors for unknown references,
 * BERTH_IMAGE_BASE_UNSUPPORTED or _INVALID for a base it cannot use, BERTH_IMAGE_PUSH_FAILED, and
 * BERTH_IMAGE_BUILD_FAILED for anything else that stops the build (a full disk among them).
 */
export async function buildImage(options: BuildImageOptions): Promise<BuildImageResult> {
  const progress = options.onProgress ?? (() => {});
  if (options.references.length === 0) throw Errors.IMAGE_OPTION_INVALID.create('name at least one model version to build (name, name@alias or name:version)');
  if (!options.output && !options.push) throw Errors.IMAGE_OPTION_INVALID.create('say where the image goes: -o image.tar, --push registry/repository:tag, or both');
  const modelcar = options.modelcar ?? false;

  const chosen = await chooseVersions(options.registry, options.references);
  const versions = chosen.map((c) => c.version);
  const tag = options.tag ?? `${versions[0]!.model}${modelcar ? '-modelcar' : ''}:${versions[0]!.version}`;
  const cache = new LayerCache(resolve(options.cacheDir));
  try {
    await mkdir(cache.dir, { recursive: true });
    const base = await loadBase(options.base, cache, options, progress);
    if (base && !modelcar) checkNodeVersion(base, baseName(options.base), options.host.nodeVersion);
    const layers: (BuiltLayer & { mediaType: string; diffId: string; file: string })[] = [];
    for (const layer of base?.layers ?? []) {
      layers.push({ name: 'base', digest: layer.digest, size: layer.size, uncompressedSize: layer.uncompressedSize ?? 0, cached: true, mediaType: layer.mediaType, diffId: layer.diffId, file: layer.file });
    }
    const gzip = 6;
    const addLayer = async (name: string, entries: readonly LayerEntry[]) => {
      progress(`layer ${name}: ${entries.length} entries`);
      const written = await cache.layer(entries, gzip);
      progress(`layer ${name}: ${written.digest} (${written.cached ? 'cached' : 'written'})`);
      layers.push({ name, ...written, file: cache.blobPath(written.digest) });
    };

    let cliPath: string | undefined;
    if (!modelcar) {
      const berth = await berthPackageFiles(resolve(options.packageRoot));
      cliPath = berth.cliPath;
      if (!base) {
        const runtime = await hostRuntimeEntries({
          ...options.host,
          binaries: [{ source: options.host.nodeBinary, path: IMAGE_NODE_PATH }],
          nativeModules: berth.nativeModules,
          packageRoot: resolve(options.packageRoot),
        });
        await addLayer('runtime', runtime);
      }
      await addLayer('berth', berth.entries);
    } else if (!base) {
      const tools = await hostRuntimeEntries({ ...options.host, binaries: await hostModelcarTools(), nativeModules: [], packageRoot: resolve(options.packageRoot) });
      await addLayer('tools', tools);
    }
    await addLayer('models', modelsLayerEntries(chosen));

    const labels = imageLabels(versions, options.berthVersion, modelcar);
    const config: ImageConfig = {
      created: IMAGE_CREATED,
      architecture: 'amd64',
      os: 'linux',
      config: cliPath ? serverConfig(cliPath, labels, base) : modelcarConfig(labels, base),
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: [
        ...(base?.config.history ?? []),
        ...layers.filter((l) => l.name !== 'base').map((l) => ({ created: IMAGE_CREATED, created_by: `berth build: ${l.name}` })),
      ],
    };
    const configBlob = jsonBlob(CONFIG_MEDIA_TYPE, config);
    const manifestBlob = jsonBlob(MANIFEST_MEDIA_TYPE, imageManifest(configBlob.descriptor, layers as Descriptor[], labels));
    const digest = manifestBlob.descriptor.digest;
    progress(`image ${digest}`);

    let archive: BuildImageResult['archive'];
    if (options.output) {
      const path = resolve(options.output);
      const bytes = await writeOciArchive(path, {
        index: Buffer.from(JSON.stringify(imageIndex(manifestBlob.descriptor, tag))),
        blobs: [
          { digest: configBlob.descriptor.digest, bytes: configBlob.bytes },
          { digest, bytes: manifestBlob.bytes },
          ...layers.map((l) => ({ digest: l.digest, file: l.file })),
        ],
        docker: { config: configBlob.descriptor.digest, layers: layers.map((l) => l.digest), repoTag: tag },
      });
      archive = { path, bytes };
      progress(`wrote ${path}`);
    }
    let pushed: PushResult | undefined;
    if (options.push) {
      pushed = await pushImage({
        reference: options.push,
        insecure: options.insecureRegistry ?? false,
        dockerConfig: options.dockerConfig,
        blobs: [...layers.map((l) => ({ digest: l.digest, size: l.size, file: l.file })), { digest: configBlob.descriptor.digest, size: configBlob.bytes.length, bytes: configBlob.bytes }],
        manifest: { mediaType: MANIFEST_MEDIA_TYPE, bytes: manifestBlob.bytes, digest },
        onProgress: progress,
      });
    }
    return {
      digest,
      configDigest: configBlob.descriptor.digest,
      versions,
      layers: layers.map(({ name, digest: d, size, uncompressedSize, cached }) => ({ name, digest: d, size, uncompressedSize, cached })),
      size: layers.reduce((sum, l) => sum + l.size, 0),
      uncompressedSize: layers.reduce((sum, l) => sum + l.uncompressedSize, 0),
      ...(archive ? { archive } : {}),
      ...(pushed ? { pushed } : {}),
    };
  } catch (error) {
    throw asBuildError(error);
  } finally {
    await rm(join(cache.dir, 'tmp'), { recursive: true, force: true });
  }
}

/** The base's layers and config, or undefined for `--base host`. */
function loadBase(base: ImageBase, cache: LayerCache, options: BuildImageOptions, progress: (step: string) => void): Promise<BaseImage | undefined> {
  if (base.kind === 'oci') return readOciBase(base.path, join(cache.dir, 'bases'));
  if (base.kind === 'registry') {
    return pullBase({ reference: base.reference, insecure: options.insecureRegistry ?? false, dockerConfig: options.dockerConfig, blobDir: cache.blobDir, onProgress: progress });
  }
  return Promise.resolve(undefined);
}

function baseName(base: ImageBase): string {
  return base.kind === 'oci' ? `oci:${base.path}` : base.kind === 'registry' ? base.reference : 'host';
}

export interface ChosenVersion {
  readonly version: ModelFolderVersion;
  readonly bundle: Bundle;
}

/** Resolves each reference to a registered version (once each) with the aliases that point at it. */
export async function chooseVersions(registry: Registry, references: readonly string[]): Promise<ChosenVersion[]> {
  const chosen = new Map<string, ChosenVersion>();
  for (const reference of references) {
    const { version, bundle } = await registry.openBundle(reference);
    const key = `${version.model}:${version.version}`;
    if (chosen.has(key)) continue;
    const aliases = (await registry.listAliases(version.model)).filter((a) => a.version === version.version).map((a) => a.alias);
    chosen.set(key, { version: { model: version.model, version: version.version, digest: version.digest, aliases }, bundle });
  }
  return [...chosen.values()];
}

/** The models folder: the index and every bundle's files under `<name>/<version>/`. */
function modelsLayerEntries(chosen: readonly ChosenVersion[]): LayerEntry[] {
  const entries: LayerEntry[] = [contentEntry(`${IMAGE_MODELS_DIR}/${MODEL_FOLDER_INDEX}`, modelFolderIndexText(chosen.map((c) => c.version)))];
  for (const { version, bundle } of chosen) {
    const dir = `${IMAGE_MODELS_DIR}/${modelFolderPath(version)}`;
    entries.push(contentEntry(`${dir}/${MANIFEST_FILE}`, bundle.manifestText));
    for (const file of bundle.manifest.files) entries.push(fileEntry(`${dir}/${file.path}`, join(bundle.dir, ...file.path.split('/')), file.size));
  }
  return entries;
}

/** What the server image runs: `berth serve /models` as a non-root user on 0.0.0.0:8080. */
function serverConfig(cliPath: string, labels: Record<string, string>, base: BaseImage | undefined): ImageConfig['config'] {
  const ours: Record<string, string> = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    NODE_ENV: 'production',
    BERTH_HOST: '0.0.0.0',
    BERTH_PORT: String(IMAGE_PORT),
    BERTH_HOME: `${IMAGE_WRITABLE_DIR}/berth`,
    BERTH_LOG_STREAM: 'stdout',
    // onnxruntime's own usage reporting.
    ORT_DISABLE_TELEMETRY: '1',
  };
  const env = new Map<string, string>();
  for (const line of base?.config.config.Env ?? []) {
    const cut = line.indexOf('=');
    if (cut > 0) env.set(line.slice(0, cut), line.slice(cut + 1));
  }
  for (const [key, value] of Object.entries(ours)) env.set(key, value);
  const ready = `fetch('http://127.0.0.1:'+(process.env.BERTH_PORT||${IMAGE_PORT})+'/v2/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
  return {
    User: `${IMAGE_USER.uid}:${IMAGE_USER.gid}`,
    ExposedPorts: { [`${IMAGE_PORT}/tcp`]: {} },
    Env: [...env].map(([key, value]) => `${key}=${value}`),
    Entrypoint: [IMAGE_NODE_PATH, cliPath],
    Cmd: ['serve', IMAGE_MODELS_DIR],
    WorkingDir: IMAGE_WRITABLE_DIR,
    Labels: { ...(base?.config.config.Labels ?? {}), ...labels },
    StopSignal: 'SIGTERM',
    Healthcheck: { Test: ['CMD', IMAGE_NODE_PATH, '-e', ready], Interval: 10e9, Timeout: 3e9, StartPeriod: 10e9, Retries: 3 },
  };
}

/**
 * What a modelcar image runs: nothing of its own. KServe passes `sh -c "ln -s … && sleep infinity"`
 * as its arguments, so there is no entry point, and the tools are on PATH.
 */
function modelcarConfig(labels: Record<string, string>, base: BaseImage | undefined): ImageConfig['config'] {
  const inherited = base?.config.config ?? {};
  return {
    ...inherited,
    Env: inherited.Env ?? ['PATH=/usr/local/bin:/usr/bin:/bin'],
    Entrypoint: null,
    Cmd: ['sleep', 'infinity'],
    User: `${IMAGE_USER.uid}:${IMAGE_USER.gid}`,
    Labels: { ...(inherited.Labels ?? {}), ...labels },
  };
}

/**
 * Berth's native modules (better-sqlite3) are built for this machine's Node; a base with another
 * major version could not load them. Official Node images say their version in NODE_VERSION.
 */
function checkNodeVersion(base: BaseImage, where: string, hostVersion: string): void {
  const line = base.config.config.Env?.find((e) => e.startsWith('NODE_VERSION='));
  const baseMajor = line?.slice('NODE_VERSION='.length).replace(/^v/, '').split('.')[0];
  const hostMajor = hostVersion.replace(/^v/, '').split('.')[0];
  if (baseMajor !== undefined && baseMajor !== hostMajor) {
    throw Errors.IMAGE_BASE_UNSUPPORTED.create(where, `it has Node ${baseMajor}, but Berth's native modules here are built for Node ${hostMajor}; use a node:${hostMajor} base`);
  }
}

/** Catalogue errors pass through; a file-system failure (a full disk, a permission) becomes one. */
export function asBuildError(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC') return Errors.IMAGE_BUILD_FAILED.create('the disk is full; free space (or point --cache-dir and -o elsewhere) and build again');
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return Errors.IMAGE_BUILD_FAILED.create((error as Error).message);
  return error;
}
