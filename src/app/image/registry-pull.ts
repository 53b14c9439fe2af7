/**
 * `--base <image-reference>`: a base image pulled from a registry over the OCI distribution API
 * (Docker Hub when the reference names no registry, as `node:20-slim` does). The manifest is
 * chosen for linux/amd64 from an index, and every blob is checked against its digest as it
 * arrives; layers already in the layer cache's blob folder are not fetched again.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Errors } from '../../core/errors.js';
import { temporarySibling } from '../../store/durable-files.js';
import { type BaseImage, checkRuntime } from './oci-base.js';
import type { ImageConfig } from './oci-image.js';
import { RegistryClient, parseImageReference, registryCredentials } from './registry-client.js';

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

interface Manifest {
  readonly manifests?: readonly { readonly digest: string; readonly platform?: { readonly architecture: string; readonly os: string } }[];
  readonly config?: { readonly digest: string };
  readonly layers?: readonly { readonly mediaType: string; readonly digest: string; readonly size: number }[];
}

/** Options of {@link pullBase}. */
export interface PullBaseOptions {
  /** `[host[:port]/]repository[:tag]`. */
  readonly reference: string;
  /** Plain HTTP (a registry on loopback). */
  readonly insecure: boolean;
  readonly dockerConfig?: string | undefined;
  /** Where blobs go (`<blobDir>/sha256/<hex>`), shared with the layer cache. */
  readonly blobDir: string;
  readonly onProgress?: (step: string) => void;
}

/**
 * Pulls the base's manifest, config and layers. Throws BERTH_IMAGE_PULL_FAILED when the registry
 * cannot be reached or refuses, and BERTH_IMAGE_BASE_UNSUPPORTED for a base that is not
 * linux/amd64, has no glibc or no Node.
 */
export async function pullBase(options: PullBaseOptions): Promise<BaseImage> {
  const fail = (reason: string) => Errors.IMAGE_PULL_FAILED.create(options.reference, reason);
  const ref = parseImageReference(options.reference, fail);
  const where = `${ref.host}/${ref.repository}:${ref.tag}`;
  const client = new RegistryClient(ref, await registryCredentials(options.dockerConfig, ref.host), fail);
  const base = `${options.insecure ? 'http' : 'https'}://${ref.host}/v2/${ref.repository}`;
  const progress = options.onProgress ?? (() => {});

  const fetchJson = async <T>(path: string, accept: string, digest: string | undefined, what: string): Promise<T> => {
    const response = await client.request('GET', `${base}/${path}`, undefined, { accept });
    if (response.status === 404) throw fail(`the registry has no ${what}`);
    if (!response.ok) throw await client.refusal(response, `fetching the ${what}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    if (digest && sha256(bytes) !== digest) throw fail(`the ${what} does not match its digest ${digest}`);
    return JSON.parse(bytes.toString('utf8')) as T;
  };

  let manifest = await fetchJson<Manifest>(`manifests/${ref.tag}`, MANIFEST_TYPES, undefined, `manifest of ${where}`);
  if (manifest.manifests) {
    const pick = manifest.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64');
    if (!pick) {
      const platforms = manifest.manifests.map((m) => (m.platform ? `${m.platform.os}/${m.platform.architecture}` : '?')).join(', ');
      throw Errors.IMAGE_BASE_UNSUPPORTED.create(where, `it has no linux/amd64 image (it has ${platforms || 'none'})`);
    }
    manifest = await fetchJson<Manifest>(`manifests/${pick.digest}`, MANIFEST_TYPES, pick.digest, `linux/amd64 manifest of ${where}`);
  }
  if (!manifest.config || !manifest.layers) throw fail('its manifest has no config or no layers');
  const config = await fetchJson<ImageConfig>(`blobs/${manifest.config.digest}`, '*/*', manifest.config.digest, 'image config');
  if (config.os !== 'linux' || config.architecture !== 'amd64') {
    throw Errors.IMAGE_BASE_UNSUPPORTED.create(where, `it is ${config.os}/${config.architecture}; Berth's images are linux/amd64`);
  }
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) throw fail('its config and manifest list different numbers of layers');

  const dir = join(options.blobDir, 'sha256');
  await mkdir(dir, { recursive: true });
  const layers: BaseImage['layers'][number][] = [];
  for (const [i, layer] of manifest.layers.entries()) {
    const file = join(dir, layer.digest.slice('sha256:'.length));
    if ((await stat(file).catch(() => undefined))?.size !== layer.size) {
      progress(`pulling ${layer.digest} (${layer.size} bytes)`);
      await download(client, `${base}/blobs/${layer.digest}`, file, layer.digest, fail);
    }
    layers.push({ mediaType: layer.mediaType, digest: layer.digest, size: layer.size, diffId: diffIds[i]!, file });
  }
  await checkRuntime(layers, where);
  return { config, layers };
}

/** Streams a blob into `file`, refusing it unless its bytes hash to `digest`. */
async function download(client: RegistryClient, url: string, file: string, digest: string, fail: (reason: string) => Error): Promise<void> {
  const response = await client.request('GET', url);
  if (!response.ok || !response.body) throw await client.refusal(response, `fetching ${digest}`);
  const temporary = temporarySibling(file);
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), hashing, createWriteStream(temporary, { flags: 'wx' }));
    if (`sha256:${hash.digest('hex')}` !== digest) throw fail(`layer ${digest} arrived with other bytes`);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
