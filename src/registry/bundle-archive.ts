/**
 * A bundle as one `.berth` file, to move it between machines: a gzip-compressed tar archive
 * (written and read by the `tar` package) holding `berth.json` first and then the files it names,
 * at the archive's root. Entries carry the bundle's creation time and portable modes, so one
 * bundle always makes the same archive.
 *
 * Reading is defensive. The archive is read twice: first without writing anything, to check that
 * `berth.json` comes first and once, and that every file the manifest names has the size it
 * declares (so a small archive cannot unpack into gigabytes); then extracted, writing only plain
 * files the manifest names (no links, no devices, nothing outside the destination), and the result
 * is verified as a bundle before anyone sees it.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Parser, type ReadEntry, create, extract } from 'tar';
import { BerthError, Errors } from '../core/errors.js';
import { fsyncDirectory, temporarySibling } from '../store/durable-files.js';
import { type Bundle, loadBundle } from './bundle.js';
import { type BundleManifest, MANIFEST_FILE, parseManifestText } from './bundle-manifest.js';

/** Largest `berth.json` read from an archive; real manifests, profile included, are far smaller. */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
/** Bytes of files the manifest does not name that an archive may carry (they are dropped). */
const MAX_UNNAMED_BYTES = 16 * 1024 * 1024;

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
  /** What messages call the archive (an upload's own file name, not where the server keeps it); default its path. */
  readonly label?: string | undefined;
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
  const label = options.label ?? archive;
  const s = await stat(archive).catch(() => undefined);
  if (!s) throw Errors.BUNDLE_NOT_FOUND.create(label, 'no such file');
  if (!s.isFile()) throw Errors.BUNDLE_ARCHIVE_INVALID.create(label, 'it is not a file');
  if (!(await looksLikeArchive(archive))) throw Errors.BUNDLE_ARCHIVE_INVALID.create(label, 'it is not a gzip-compressed tar archive');
  const target = resolve(outDir);
  const existing = await stat(target).catch(() => undefined);
  if (existing && !(existing.isDirectory() && (await readdir(target)).length === 0)) throw Errors.BUNDLE_OUTPUT_EXISTS.create(target);

  const manifest = await checkArchive(archive, label);
  const named = new Set([MANIFEST_FILE, ...manifest.files.map((f) => f.path)]);

  await mkdir(dirname(target), { recursive: true });
  const building = temporarySibling(target);
  await mkdir(building);
  try {
    const refused: string[] = [];
    const written = new Set<string>();
    try {
      await extract({
        file: archive,
        cwd: building,
        strict: true,
        preservePaths: false,
        filter: (path, entry) => {
          const type = 'type' in entry ? entry.type : 'File';
          if (type === 'Directory') return true;
          if (type === 'File' || type === 'OldFile') {
            // Only what the manifest names, once each: the sizes were checked above.
            const name = entryName(path);
            if (!named.has(name) || written.has(name)) return false;
            written.add(name);
            return true;
          }
          refused.push(`${path} (${type})`);
          return false;
        },
      });
    } catch (error) {
      throw Errors.BUNDLE_ARCHIVE_INVALID.create(label, (error as Error).message);
    }
    if (refused.length > 0) throw Errors.BUNDLE_ARCHIVE_INVALID.create(label, `it holds entries that are not plain files: ${refused.slice(0, 5).join(', ')}`);
    if (!(await stat(join(building, MANIFEST_FILE)).catch(() => undefined))) throw Errors.BUNDLE_ARCHIVE_INVALID.create(label, `it has no ${MANIFEST_FILE}`);
    const where = `archive ${label}`;
    const verified = await loadBundle(building, { where, ...(options.expectedDigest ? { expectedDigest: options.expectedDigest } : {}) }).catch((error: unknown) => {
      throw error instanceof BerthError && Errors.BUNDLE_NOT_FOUND.is(error) ? Errors.BUNDLE_ARCHIVE_INVALID.create(label, error.message) : error;
    });
    await removeUnnamed(building, building, named);
    await fsyncDirectory(building);
    if (existing) await rm(target, { recursive: true, force: true });
    await rename(building, target);
    await fsyncDirectory(dirname(target));
    return { ...verified, dir: target, modelPath: join(target, ...verified.manifest.model.file.split('/')) };
  } catch (error) {
    // Retried: a failed extraction may still be closing files in the folder.
    await rm(building, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    throw error;
  }
}

/** An entry's path as the manifest writes it (`./model.onnx` → `model.onnx`). */
function entryName(path: string): string {
  return path.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

/**
 * Reads the archive without writing anything and returns its manifest. Throws
 * BERTH_BUNDLE_ARCHIVE_INVALID when `berth.json` is not the first file or comes twice, when a path
 * leads outside the bundle, when a file comes twice, or when files the manifest does not name add
 * up to more than MAX_UNNAMED_BYTES; BERTH_BUNDLE_FILE_CORRUPT when a file it names has another
 * size than it declares. It stops at the first problem, before reading the
 * rest.
 */
function checkArchive(archive: string, label: string): Promise<BundleManifest> {
  return new Promise((resolvePromise, reject) => {
    const input = createReadStream(archive);
    const parser = new Parser({ strict: true });
    let manifest: BundleManifest | undefined;
    let manifestText: Buffer[] | undefined;
    const seen = new Set<string>();
    let unnamedBytes = 0;
    let settled = false;
    const fail = (problem: string | BerthError) => {
      if (settled) return;
      settled = true;
      input.destroy();
      reject(typeof problem === 'string' ? Errors.BUNDLE_ARCHIVE_INVALID.create(label, problem) : problem);
    };
    parser.on('entry', (entry: ReadEntry) => {
      const name = entryName(entry.path);
      const problem = settled ? undefined : entryProblem(entry, name);
      entry.resume();
      if (problem !== undefined) fail(problem);
    });
    const entryProblem = (entry: ReadEntry, name: string): string | BerthError | undefined => {
      if (name.startsWith('/') || name === '..' || name.startsWith('../') || name.includes('/../')) return `it holds ${name}, a path outside the bundle`;
      if (entry.type !== 'File' && entry.type !== 'OldFile') return undefined; // refused or made at extraction
      if (manifest === undefined && manifestText === undefined) {
        if (name !== MANIFEST_FILE) return `its first file is ${name}, not ${MANIFEST_FILE}; make archives with berth export`;
        if (entry.size > MAX_MANIFEST_BYTES) return `its ${MANIFEST_FILE} is ${entry.size} bytes, more than ${MAX_MANIFEST_BYTES}`;
        const chunks: Buffer[] = (manifestText = []);
        entry.on('data', (chunk: Buffer) => chunks.push(chunk));
        entry.on('end', () => {
          try {
            manifest = parseManifestText(Buffer.concat(chunks).toString('utf8'), `archive ${label}`);
          } catch (error) {
            if (settled) return;
            settled = true;
            input.destroy();
            reject(error);
            return;
          }
          for (const file of pending.splice(0)) {
            const problem = fileProblem(file.name, file.size);
            if (problem !== undefined) return fail(problem);
          }
        });
        return undefined;
      }
      if (name === MANIFEST_FILE) return `it holds ${MANIFEST_FILE} twice`;
      // Entries that come while the manifest is still being read are checked once it is.
      if (manifest === undefined) {
        pending.push({ name, size: entry.size });
        return undefined;
      }
      return fileProblem(name, entry.size);
    };
    const pending: { name: string; size: number }[] = [];
    const fileProblem = (name: string, size: number): string | BerthError | undefined => {
      const declared = manifest!.files.find((f) => f.path === name);
      if (declared === undefined) {
        unnamedBytes += size;
        return unnamedBytes > MAX_UNNAMED_BYTES ? `files its manifest does not name hold more than ${MAX_UNNAMED_BYTES} bytes` : undefined;
      }
      if (seen.has(name)) return `it holds ${name} twice`;
      seen.add(name);
      return size === declared.size ? undefined : Errors.BUNDLE_FILE_CORRUPT.create(`archive ${label}`, name, `is ${size} bytes, but the manifest says ${declared.size}`);
    };
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      if (error) reject(Errors.BUNDLE_ARCHIVE_INVALID.create(archive, error.message));
      else if (manifest === undefined || pending.length > 0) reject(Errors.BUNDLE_ARCHIVE_INVALID.create(archive, `it has no readable ${MANIFEST_FILE}`));
      else resolvePromise(manifest);
    };
    parser.on('error', finish);
    parser.on('end', () => finish());
    input.on('error', finish);
    input.pipe(parser);
  });
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
