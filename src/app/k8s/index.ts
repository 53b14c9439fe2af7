/** Kubernetes manifests for Berth: plain replicas (embedded or shared) and KServe. */
export { type KServeManifestOptions, type KServeModel, KSERVE_MODEL_DIR, kserveManifests } from './kserve-manifests.js';
export {
  CONFIG_PATH,
  type KubernetesManifestOptions,
  PRE_STOP_SECONDS,
  type SharedStore,
  clusterConfig,
  kubernetesManifests,
  terminationGraceSeconds,
} from './kubernetes-manifests.js';
export { type MemoryResources, SERVER_BASELINE_BYTES, isQuantity, memoryResources, quantityBytes } from './memory-resources.js';
export { type KubernetesObject, type ObjectMeta, SERVER_IMAGE, checkKubernetesName, kubernetesLabels, kubernetesName } from './kubernetes-object.js';
export { type ManifestFile, manifestFileName, manifestFiles, manifestStream } from './manifest-files.js';
