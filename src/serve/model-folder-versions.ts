/**
 * Serving a model folder (what `berth build` bakes into an image under /models): every version
 * its index lists is verified against its digest, loaded, and put in the model table with the
 * aliases it had when the folder was made. A model's plain name answers its default version (the
 * rule of core/model-ref.ts), so an image built from `loans:3` answers `/v2/models/loans`.
 */
import { defaultVersion } from '../core/model-ref.js';
import type { Bundle, ModelFolderVersion } from '../registry/index.js';
import { loadModelFolderBundle, readModelFolderIndex } from '../registry/index.js';
import type { LoadedVersion } from '../runtime/loaded-version.js';
import type { ModelTable } from './model-table.js';

/** Loads a bundle as a loaded version (the server's version loader); `aliases` point at it in the folder. */
export type BundleLoad = (bundle: Bundle, model: string, version: number, aliases: readonly string[]) => Promise<LoadedVersion>;

/**
 * Reads the folder's index, loads every version into `table` and sets aliases and defaults.
 * Throws BERTH_MODEL_FOLDER_INVALID or the bundle errors; versions already loaded are in `table`
 * for the caller to release.
 */
export async function putModelFolder(dir: string, table: ModelTable, load: BundleLoad): Promise<readonly ModelFolderVersion[]> {
  const index = await readModelFolderIndex(dir);
  for (const entry of index.versions) {
    const bundle = await loadModelFolderBundle(dir, entry);
    table.put(await load(bundle, entry.model, entry.version, entry.aliases), false);
  }
  for (const model of new Set(index.versions.map((v) => v.model))) {
    const versions = index.versions.filter((v) => v.model === model);
    const aliases = new Map(versions.flatMap((v) => v.aliases.map((alias) => [alias, v.version] as const)));
    table.setAliases(model, aliases);
    table.setDefault(model, defaultVersion({ aliases, latestVersion: Math.max(...versions.map((v) => v.version)) }));
  }
  return index.versions;
}
