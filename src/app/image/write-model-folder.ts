/**
 * `berth build --folder <dir>`: the models folder that a modelcar carries under `/models`, written
 * to a local folder instead of an image. It is what KServe's storage initializer downloads for an
 * `s3://` storage URI (`aws s3 sync <dir> s3://bucket/path`, then `berth k8s --kserve
 * --storage-uri s3://bucket/path`), and `berth serve <dir>` serves it as the image would. The
 * folder appears whole or not at all: it is written beside its place and renamed into it.
 */
import { copyFile, mkdir, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Errors } from '../../core/errors.js';
import { MANIFEST_FILE, MODEL_FOLDER_INDEX, type ModelFolderVersion, type Registry, modelFolderIndexText, modelFolderPath } from '../../registry/index.js';
import { temporarySibling } from '../../store/durable-files.js';
import { asBuildError, chooseVersions } from './build-image.js';

/** What {@link writeModelFolder} wrote. */
export interface ModelFolderResult {
  /** The folder, absolute. */
  readonly folder: string;
  readonly versions: readonly ModelFolderVersion[];
  /** Bytes of the bundles' files and manifests, without the index. */
  readonly bytes: number;
}

/**
 * Writes the versions `references` name as a models folder at `folder`, which must not exist or
 * be empty. Throws BERTH_IMAGE_OPTION_INVALID for no reference or a folder in the way, the
 * registry's not-found errors for unknown references, and BERTH_IMAGE_BUILD_FAILED when the disk
 * refuses (nothing is left behind then).
 */
export async function writeModelFolder(options: { readonly registry: Registry; readonly references: readonly string[]; readonly folder: string }): Promise<ModelFolderResult> {
  if (options.references.length === 0) throw Errors.IMAGE_OPTION_INVALID.create('name at least one model version to write (name, name@alias or name:version)');
  const folder = resolve(options.folder);
  const existing = await readdir(folder).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    if (error.code === 'ENOTDIR') throw Errors.IMAGE_OPTION_INVALID.create(`--folder ${options.folder} is a file; name a new or empty folder`);
    throw asBuildError(error);
  });
  if (existing && existing.length > 0) throw Errors.IMAGE_OPTION_INVALID.create(`--folder ${options.folder} is not empty; name a new or empty folder, so that nothing of another build is mixed in`);
  const chosen = await chooseVersions(options.registry, options.references);
  const building = temporarySibling(folder);
  let bytes = 0;
  try {
    await mkdir(building, { recursive: true });
    await writeFile(join(building, MODEL_FOLDER_INDEX), modelFolderIndexText(chosen.map((c) => c.version)));
    for (const { version, bundle } of chosen) {
      const dir = join(building, ...modelFolderPath(version).split('/'));
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, MANIFEST_FILE), bundle.manifestText);
      bytes += Buffer.byteLength(bundle.manifestText);
      for (const file of bundle.manifest.files) {
        const target = join(dir, ...file.path.split('/'));
        await mkdir(join(target, '..'), { recursive: true });
        await copyFile(join(bundle.dir, ...file.path.split('/')), target);
        bytes += file.size;
      }
    }
    if (existing) await rmdir(folder);
    await rename(building, folder);
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    throw asBuildError(error);
  }
  return { folder, versions: chosen.map((c) => c.version), bytes };
}
