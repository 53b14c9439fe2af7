/**
 * The monitor's ReferenceSource answered by the versions this replica serves, from their bundles'
 * manifests: what a server of a model folder (no registry) uses.
 */
import { type ReferenceSource, referenceFromManifest } from '../monitor/index.js';
import type { ModelTable } from './model-table.js';

/** References of the versions in `table`; undefined for a version it does not serve. */
export function servedReferenceSource(table: ModelTable): ReferenceSource {
  return {
    async version(model, version) {
      const manifest = table.get(model, Number(version))?.manifest;
      return manifest ? referenceFromManifest(model, version, manifest) : undefined;
    },
    async defaultVersion(model) {
      const version = table.defaultVersion(model);
      return version === undefined ? undefined : String(version);
    },
  };
}
