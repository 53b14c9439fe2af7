/**
 * `--base oci:<dir or tar>`: a base image from a local OCI image layout (a folder, or an archive
 * of one such as `podman save --format oci-archive` writes). Its layers are used as they are; the
 * base must be linux/amd64 with glibc and Node at /usr/local/bin/node (the official Node images
 * are), because onnxruntime-node's binary needs glibc and the image's entry point runs that Node.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { x as extractTar } from 'tar';
import tar from 'tar-stream';
import { Errors } from '../../core/errors.js';
import { temporarySibling } from '../../store/durable-files.js';
import { IMAGE_NODE_PATH } from './host-runtime.js';
import { layoutBlobPath } from './oci-archive.js';
import type { ImageConfig } from './oci-image.js';

/** A base image's layers (as files) and config. */
export interface BaseImage {
  readonly config: ImageConfig;
  readonly layers: readonly { readonly mediaType: string; readonly digest: string; readonly size: number; readonly diffId: string; readonly file: string; readonly uncompressedSize?: number }[];
}

interface Manifest {
  readonly mediaType?: string;
  readonly manifests?: readonly { readonly mediaType: string; readonly digest: string; readonly platform?: { readonly architecture: string; readonly os: string } }[];
  readonly config?: { readonly digest: string };
  readonly layers?: readonly { readonly mediaType: string; readonly digest: string; readonly size: number }[];
}

/**
 * Reads the base at `path` (a layout folder or archive; archives are unpacked under `workDir`).
 * Throws BERTH_IMAGE_BASE_INVALID for something that is not an OCI layout, and
 * BERTH_IMAGE_BASE_UNSUPPORTED for a base of another platform, without glibc or without Node.
 */
export async function readOciBase(path: string, workDir: string): Promise<BaseImage> {
  const where = `oci:${path}`;
  const s = await stat(path).catch(() => undefined);
  if (!s) throw Errors.IMAGE_BASE_INVALID.create(where, 'no such file or folder');
  const dir = s.isDirectory() ? resolve(path) : await unpackArchive(resolve(path), s, workDir, where);
  const readJson = async <T>(file: string, what: string): Promise<T> => {
    try {
      return JSON.parse(await readFile(file, 'utf8')) as T;
    } catch (error) {
      throw Errors.IMAGE_BASE_INVALID.create(where, `cannot read its ${what} (${(error as Error).message}); give an OCI image layout folder or archive`);
    }
  };
  let document = await readJson<Manifest>(join(dir, 'index.json'), 'index.json');
  // An index may point at a manifest or at further indexes (one per platform).
  for (let depth = 0; document.manifests; depth++) {
    if (depth > 4) throw Errors.IMAGE_BASE_INVALID.create(where, 'its indexes nest too deeply');
    const entries = document.manifests;
    const pick = entries.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64') ?? (entries.length === 1 && !entries[0]!.platform ? entries[0] : undefined);
    if (!pick) {
      const platforms = entries.map((m) => (m.platform ? `${m.platform.os}/${m.platform.architecture}` : '?')).join(', ');
      throw Errors.IMAGE_BASE_UNSUPPORTED.create(where, `it has no linux/amd64 image (it has ${platforms || 'none'})`);
    }
    document = await readJson<Manifest>(layoutBlobPath(dir, pick.digest), `manifest ${pick.digest}`);
  }
  if (!document.config || !document.layers) throw Errors.IMAGE_BASE_INVALID.create(where, 'its manifest has no config or no layers');
  const config = await readJson<ImageConfig>(layoutBlobPath(dir, document.config.digest), 'image config');
  if (config.os !== 'linux' || config.architecture !== 'amd64') {
    throw Errors.IMAGE_BASE_UNSUPPORTED.create(where, `it is ${config.os}/${config.architecture}; Berth's images are linux/amd64`);
  }
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== document.layers.length) throw Errors.IMAGE_BASE_INVALID.create(where, 'its config and manifest list different numbers of layers');
  const layers = document.layers.map((layer, i) => ({ mediaType: layer.mediaType, digest: layer.digest, size: layer.size, diffId: diffIds[i]!, file: layoutBlobPath(dir, layer.digest) }));
  for (const layer of layers) {
    if (!(await stat(layer.file).catch(() => undefined))) throw Errors.IMAGE_BASE_INVALID.create(where, `layer ${layer.digest} is missing from the layout`);
  }
  await checkRuntime(layers, where);
  return { config, layers };
}

/** Unpacks an archive once per (path, size, time) into `workDir`. */
async function unpackArchive(path: string, s: { size: number; mtimeMs: number }, workDir: string, where: string): Promise<string> {
  const key = createHash('sha256').update(`${path}\n${s.size}\n${s.mtimeMs}`).digest('hex').slice(0, 32);
  const dir = join(workDir, key);
  if (await stat(join(dir, 'index.json')).catch(() => undefined)) return dir;
  await mkdir(workDir, { recursive: true });
  const temporary = temporarySibling(dir);
  await mkdir(temporary);
  try {
    await extractTar({ file: path, cwd: temporary, strict: true });
    await rename(temporary, dir);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw Errors.IMAGE_BASE_INVALID.create(where, `it is not a readable tar archive (${(error as Error).message})`);
  }
  return dir;
}

/** Refuses a base without glibc (Alpine's musl) or without Node where the entry point expects it. */
export async function checkRuntime(layers: BaseImage['layers'], where: string): Promise<void> {
  let glibc = false;
  let musl = false;
  let node = false;
  const wanted = IMAGE_NODE_PATH.slice(1);
  for (const layer of layers) {
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      const name = header.name.replace(/^\.?\//, '');
      if (/(^|\/)libc\.so\.6$/.test(name)) glibc = true;
      if (/(^|\/)ld-musl-[^/]+\.so\.1$/.test(name)) musl = true;
      if (name === wanted) node = true;
      stream.on('end', () => next());
      stream.resume();
    });
    const source = createReadStream(layer.file);
    await (layer.mediaType.includes('gzip') ? pipeline(source, createGunzip(), extract) : pipeline(source, extract)).catch((error: Error) => {
      throw Errors.IMAGE_BASE_INVALID.create(where, `layer ${layer.digest} cannot be read (${error.message})`);
    });
  }
  if (musl || !glibc) throw Errors.IMAGE_BASE_UNSUPPORTED.create(where, `it has no glibc${musl ? ' (it is musl-based, like Alpine)' : ''}; onnxruntime-node needs glibc: use a Debian-based base such as node:20-slim`);
  if (!node) throw Errors.IMAGE_BASE_UNSUPPORTED.create(where, `it has no ${IMAGE_NODE_PATH}; use an official Node image (node:20-slim)`);
}
