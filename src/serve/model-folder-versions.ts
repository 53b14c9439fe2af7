/**
 * Serving a model folder (what `berth build` bakes into an image under /models): every version
 * its index lists is verified against its digest, loaded, and put in the model table with the
 * aliases it had when the folder was made. A model's plain name answers its default version (the
 * rule of core/model-ref.ts), so an image built from `loans:3` answers `/v2/models/loans`. A
 * folder of one model may be served under another name (`berth serve name=folder`): KServe calls
 * the model by its InferenceService's name, a Kubernetes name that may differ from the registry's.
 */
import { Errors } from '../core/errors.js';
import { defaultVersion } from '../core/model-ref.js';
import type { Bundle, ModelFolderVersion } from '../registry/index.js';
import { loadModelFolderBundle, readModelFolderIndex } from '../registry/index.js';
import type { LoadedVersion } from '../runtime/loaded-version.js';
import type { ModelTable } from './model-table.js';

/** Loads a bundle as a loaded version (the server's version loader); `aliases` point at it in the folder. */
export type BundleLoad = (bundle: Bundle, model: string, version: number, aliases: readonly string[]) => Promise<LoadedVersion>;

/**
 * Reads the folder's index, loads every version into `table` and sets aliases and defaults; with
 * `servedName`, the folder's one model is served under that name. Throws
 * BERTH_MODEL_FOLDER_INVALID (also for `servedName` and a folder of several models) or the bundle
 * errors; versions already loaded are in `table` for the caller to release.
 */
export async function putModelFolder(dir: string, table: ModelTable, load: BundleLoad, servedName?: string): Promise<readonly ModelFolderVersion[]> {
  const index = await readModelFolderIndex(dir);
  const models = [...new Set(index.versions.map((v) => v.model))];
  if (servedName !== undefined && models.length !== 1) {
    throw Errors.MODEL_FOLDER_INVALID.create(dir, `it holds ${models.length} models (${models.join(', ')}), and ${servedName}=${dir} serves one model under the name ${servedName}; serve the folder without a name, or build a folder of one model`);
  }
  const served = (model: string): string => servedName ?? model;
  for (const entry of index.versions) {
    const bundle = await loadModelFolderBundle(dir, entry);
    table.put(await load(bundle, served(entry.model), entry.version, entry.aliases), false);
  }
  for (const model of models) {
    const versions = index.versions.filter((v) => v.model === model);
    const aliases = new Map(versions.flatMap((v) => v.aliases.map((alias) => [alias, v.version] as const)));
    table.setAliases(served(model), aliases);
    table.setDefault(served(model), defaultVersion({ aliases, latestVersion: Math.max(...versions.map((v) => v.version)) }));
  }
  return index.versions;
}
