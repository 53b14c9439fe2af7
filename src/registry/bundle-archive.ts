/**
 * A bundle as one `.berth` file, to move it between machines: a gzip-compressed tar archive
 * (written and read by the `tar` package) holding `berth.json` first and then the files it names,
 * at the archive's root. Entries carry the bundle's creation time and portable modes, so one
 * bundle always makes the same archive.
 *
 * Reading is defensive: only plain files and folders are extracted (no links, no devices), paths
 * that would escape the destination are refused by `tar`, and the result is verified as a bundle
 * before anyone sees it.
 */
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { create, extract } from 'tar';
import { BerthError, Errors } from '../core/errors.js';
import { fsyncDirectory, temporarySibling } from '../store/durable-files.js';
import { type Bundle, loadBundle } from './bundle.js';
import { MANIFEST_FILE } from './bundle-manifest.js';

/** The usual extension of a bundle archive. */
export const ARCHIVE_EXTENSION = '.berth';

/** Options for {@link exportBundle}. */
export interface ExportBundleOptions {
  /** Replace an existing file at the archive path. */
  readonly overwrite?: boolean;
}

/**
 * Verifies the bundle in `bundleDir` and writes it to `archivePath` as a `.berth` archive,
 * atomically. Returns the archive's size in bytes. Throws the errors of {@link loadBundle} and
 * BERTH_BUNDLE_OUTPUT_EXISTS.
 *
 * @example
 *   await exportBundle('bundles/digits', 'digits.berth');
 */
export async function exportBundle(bundleDir: string | Bundle, archivePath: string, options: ExportBundleOptions = {}): Promise<{ bundle: Bundle; bytes: number }> {
  const bundle = typeof bundleDir === 'string' ? await loadBundle(bundleDir) : bundleDir;
  const target = resolve(archivePath);
  if (!options.overwrite && (await stat(target).catch(() => undefined))) throw Errors.BUNDLE_OUTPUT_EXISTS.create(target);
  await mkdir(dirname(target), { recursive: true });
  const temporary = temporarySibling(target);
  try {
    const entries = [MANIFEST_FILE, ...bundle.manifest.files.map((f) => f.path).sort()];
    await create({ file: temporary, cwd: bundle.dir, gzip: true, portable: true, mtime: new Date(bundle.manifest.created), noDirRecurse: true }, entries);
    const handle = await open(temporary, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await fsyncDirectory(dirname(target));
  return { bundle, bytes: (await stat(target)).size };
}

/** True when the file starts like a gzip stream or a tar archive (what a `.berth` file is). */
export async function looksLikeArchive(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await handle.read(head, 0, 512, 0);
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
    return bytesRead >= 262 && head.toString('latin1', 257, 262) === 'ustar';
  } finally {
    await handle.close();
  }
}

/** Options for {@link importBundle}. */
export interface ImportBundleOptions {
  /** Refuse the bundle unless its digest is this one. */
  readonly expectedDigest?: string;
}

/**
 * Extracts the `.berth` archive at `archivePath` into the new folder `outDir` (which must not
 * exist or be empty), verifies it as a bundle and returns it. Files the manifest does not name
 * are dropped. Throws BERTH_BUNDLE_NOT_FOUND, BERTH_BUNDLE_ARCHIVE_INVALID (not an archive, cut
 * short, links or devices inside), BERTH_BUNDLE_OUTPUT_EXISTS, or any error of {@link loadBundle}.
 *
 * @example
 *   const bundle = await importBundle('digits.berth', 'bundles/digits');
 */
export async function importBundle(archivePath: string, outDir: string, options: ImportBundleOptions = {}): Promise<Bundle> {
  const archive = resolve(archivePath);
  const s = await stat(archive).catch(() => undefined);
  if (!s) throw Errors.BUNDLE_NOT_FOUND.create(archive, 'no such file');
  if (!s.isFile()) throw Errors.BUNDLE_ARCHIVE_INVALID.create(archive, 'it is not a file');
  if (!(await looksLikeArchive(archive))) throw Errors.BUNDLE_ARCHIVE_INVALID.create(archive, 'it is not a gzip-compressed tar archive');
  const target = resolve(outDir);
  const existing = await stat(target).catch(() => undefined);
  if (existing && !(existing.isDirectory() && (await readdir(target)).length === 0)) throw Errors.BUNDLE_OUTPUT_EXISTS.create(target);

  await mkdir(dirname(target), { recursive: true });
  const building = temporarySibling(target);
  await mkdir(building);
  try {
    const refused: string[] = [];
    try {
      await extract({
        file: archive,
        cwd: building,
        strict: true,
        preservePaths: false,
        filter: (path, entry) => {
          const type = 'type' in entry ? entry.type : 'File';
          if (type === 'File' || type === 'OldFile' || type === 'Directory') return true;
          refused.push(`${path} (${type})`);
          return false;
        },
      });
    } catch (error) {
      throw Errors.BUNDLE_ARCHIVE_INVALID.create(archive, (error as Error).message);
    }
    if (refused.length > 0) throw Errors.BUNDLE_ARCHIVE_INVALID.create(archive, `it holds entries that are not plain files: ${refused.slice(0, 5).join(', ')}`);
    if (!(await stat(join(building, MANIFEST_FILE)).catch(() => undefined))) throw Errors.BUNDLE_ARCHIVE_INVALID.create(archive, `it has no ${MANIFEST_FILE}`);
    const where = `archive ${archive}`;
    const verified = await loadBundle(building, { where, ...(options.expectedDigest ? { expectedDigest: options.expectedDigest } : {}) }).catch((error: unknown) => {
      throw error instanceof BerthError && Errors.BUNDLE_NOT_FOUND.is(error) ? Errors.BUNDLE_ARCHIVE_INVALID.create(archive, error.message) : error;
    });
    const named = new Set([MANIFEST_FILE, ...verified.manifest.files.map((f) => f.path)]);
    await removeUnnamed(building, building, named);
    await fsyncDirectory(building);
    if (existing) await rm(target, { recursive: true, force: true });
    await rename(building, target);
    await fsyncDirectory(dirname(target));
    return { ...verified, dir: target, modelPath: join(target, ...verified.manifest.model.file.split('/')) };
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    throw error;
  }
}

/** Removes files under `dir` whose bundle path is not in `named`, and folders left empty. */
async function removeUnnamed(root: string, dir: string, named: ReadonlySet<string>): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      await removeUnnamed(root, path, named);
      if ((await readdir(path)).length === 0) await rm(path, { recursive: true });
    } else if (!named.has(relative(root, path).split(sep).join('/'))) {
      await rm(path, { force: true });
    }
  }
}
