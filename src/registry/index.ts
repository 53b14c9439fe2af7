/**
 * The registry layer's public entry: bundles (package, load and verify, archive), and the
 * registry of models, versions and aliases.
 */
export { API_KEY_PREFIX, type CreateApiKeyOptions, type CreatedApiKey, apiKeyHash } from './api-keys.js';
export { type Bundle, type LoadBundleOptions, loadBundle } from './bundle.js';
export { ARCHIVE_EXTENSION, type ExportBundleOptions, type ImportBundleOptions, exportBundle, importBundle, looksLikeArchive } from './bundle-archive.js';
export { VOLATILE_MANIFEST_FIELDS, bundleDigest } from './bundle-digest.js';
export {
  BUNDLE_FORMAT_VERSION,
  type BundleFile,
  type BundleManifest,
  type BundleModel,
  type JsonObject,
  MANIFEST_FILE,
  bundlePathProblem,
  parseManifest,
  parseManifestText,
} from './bundle-manifest.js';
export { canonicalJson } from './canonical-json.js';
export {
  MODEL_FOLDER_FORMAT,
  MODEL_FOLDER_INDEX,
  type ModelFolderIndex,
  type ModelFolderVersion,
  isModelFolder,
  loadModelFolderBundle,
  modelFolderIndexText,
  modelFolderPath,
  readModelFolderIndex,
} from './model-folder.js';
export { MAX_NAME_LENGTH, isModelName, validateAliasName, validateModelName } from '../core/names.js';
export { type KeepDataInput, type KeptData, type KeptDataRole } from './kept-data.js';
export { type OpenRegistryOptions, openRegistry } from './open-registry.js';
export { MODEL_FILE, type PackageOptions, packageModel } from './package-model.js';
export { type AuditLogOptions } from './change-log.js';
export { type ClearDeploymentOptions, type DeploymentChangeOptions } from './deployment-writer.js';
export { type GarbageCollected } from './garbage-collector.js';
export { Registry, type RegistryOptions } from './registry.js';
export { RegistryReads } from './registry-reads.js';
export { type ChangeOptions, type RegisterOptions } from './version-writer.js';
export type * from './registry-records.js';
