/**
 * What an image says about itself, in OCI annotation style: the models, versions and bundle
 * digests it serves, and the Berth that built it. The same keys go into the config's labels
 * (what `podman inspect` shows) and the manifest's annotations (what a registry shows).
 */
import type { ModelFolderVersion } from '../../registry/index.js';

/** The labels of an image serving `versions`. */
export function imageLabels(versions: readonly ModelFolderVersion[], berthVersion: string, modelcar: boolean): Record<string, string> {
  const names = [...new Set(versions.map((v) => v.model))].sort();
  const labels: Record<string, string> = {
    'org.opencontainers.image.title': modelcar ? `${names.join(', ')} (models only)` : `Berth serving ${names.join(', ')}`,
    'org.opencontainers.image.description': versions.map((v) => `${v.model}:${v.version}`).join(' '),
    'org.opencontainers.image.created': '1970-01-01T00:00:00Z',
    'dev.berth.version': berthVersion,
    'dev.berth.image.kind': modelcar ? 'modelcar' : 'server',
    'dev.berth.models': JSON.stringify(versions.map((v) => ({ model: v.model, version: v.version, digest: v.digest, aliases: v.aliases }))),
  };
  for (const v of versions) {
    labels[`dev.berth.model.${v.model}.${v.version}.digest`] = v.digest;
    if (v.aliases.length > 0) labels[`dev.berth.model.${v.model}.${v.version}.aliases`] = v.aliases.join(',');
  }
  return labels;
}
