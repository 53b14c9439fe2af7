/**
 * Reading and verifying a bundle folder. Every load checks every file against the manifest
 * (regular file, size, sha256) and, when the caller knows it, the digest: a bundle that was
 * tampered with or cut short is refused with a catalogue error naming the file.
 */
import { lstat, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Errors } from '../core/errors.js';
import { hashFile } from '../store/durable-files.js';
import { bundleDigest } from './bundle-digest.js';
import { type BundleManifest, MANIFEST_FILE, parseManifestText } from './bundle-manifest.js';

/** The manifest may not be larger than this; a reference profile belongs in a file of its own. */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/** A verified bundle in a folder. */
export interface Bundle {
  /** The bundle folder, absolute. */
  readonly dir: string;
  readonly manifest: BundleManifest;
  /** The exact text of `berth.json`. */
  readonly manifestText: string;
  /** `sha256:<hex>`; see bundle-digest.ts. */
  readonly digest: string;
  /** The ONNX model file, absolute. */
  readonly modelPath: string;
  /** Bytes of every file, manifest included. */
  readonly size: number;
}

/** Options for {@link loadBundle}. */
export interface LoadBundleOptions {
  /** Refuse the bundle unless its digest is this one. */
  readonly expectedDigest?: string;
  /** Names the bundle in messages; default `bundle <dir>`. */
  readonly where?: string;
}

/**
 * Reads the bundle in `dir` and verifies it. Throws BERTH_BUNDLE_NOT_FOUND (no folder or no
 * berth.json), BERTH_BUNDLE_MANIFEST_INVALID, BERTH_BUNDLE_FORMAT_UNSUPPORTED,
 * BERTH_BUNDLE_FILE_MISSING, BERTH_BUNDLE_FILE_CORRUPT or BERTH_BUNDLE_DIGEST_MISMATCH.
 *
 * @example
 *   const bundle = await loadBundle('out/digits');
 *   console.log(bundle.digest, bundle.manifest.signature);
 */
export async function loadBundle(dir: string, options: LoadBundleOptions = {}): Promise<Bundle> {
  const root = resolve(dir);
  const where = options.where ?? `bundle ${root}`;
  const dirStat = await stat(root).catch(() => undefined);
  if (!dirStat?.isDirectory()) throw Errors.BUNDLE_NOT_FOUND.create(root, dirStat ? 'it is not a folder' : 'no such folder');
  const manifestPath = join(root, MANIFEST_FILE);
  const manifestStat = await lstat(manifestPath).catch(() => undefined);
  if (!manifestStat) throw Errors.BUNDLE_NOT_FOUND.create(root, `the folder has no ${MANIFEST_FILE}`);
  if (!manifestStat.isFile()) throw Errors.BUNDLE_FILE_CORRUPT.create(where, MANIFEST_FILE, 'is not a regular file');
  if (manifestStat.size > MAX_MANIFEST_BYTES) throw Errors.BUNDLE_MANIFEST_INVALID.create(where, `${MANIFEST_FILE} is larger than ${MAX_MANIFEST_BYTES} bytes`);
  const manifestText = await readFile(manifestPath, 'utf8');
  const manifest = parseManifestText(manifestText, where);

  let size = Buffer.byteLength(manifestText);
  for (const file of manifest.files) {
    const path = join(root, ...file.path.split('/'));
    // lstat, not stat: a symbolic link could point anywhere, and an archive could not carry it.
    const s = await lstat(path).catch(() => undefined);
    if (!s) throw Errors.BUNDLE_FILE_MISSING.create(where, file.path);
    if (!s.isFile()) throw Errors.BUNDLE_FILE_CORRUPT.create(where, file.path, 'is not a regular file (a link or a folder)');
    if (s.size !== file.size) {
      throw Errors.BUNDLE_FILE_CORRUPT.create(where, file.path, `has ${s.size} bytes but the manifest says ${file.size}${s.size < file.size ? ' (truncated)' : ''}`);
    }
    const actual = await hashFile(path);
    if (actual.digest !== file.sha256) throw Errors.BUNDLE_FILE_CORRUPT.create(where, file.path, `has sha256 ${actual.digest}, not ${file.sha256} as the manifest says`);
    size += s.size;
  }
  const digest = bundleDigest(manifest);
  if (options.expectedDigest !== undefined && digest !== options.expectedDigest) {
    throw Errors.BUNDLE_DIGEST_MISMATCH.create(where, options.expectedDigest, digest);
  }
  return { dir: root, manifest, manifestText, digest, modelPath: join(root, ...manifest.model.file.split('/')), size };
}
