/**
 * The digest of a bundle: what identifies it, everywhere.
 *
 * digest = sha256 of the canonical JSON (canonical-json.ts) of the manifest without `created`,
 * with `files` sorted by path. Each file entry carries the file's own sha256 and size, so the
 * digest covers every byte of every file as well as every field of the manifest, while packaging
 * the same model with the same metadata twice gives the same digest (the time it was made is
 * the only field left out).
 */
import { hashBytes } from '../store/durable-files.js';
import type { BundleManifest } from './bundle-manifest.js';
import { canonicalJson } from './canonical-json.js';

/** Manifest fields that say when or how a bundle was made, not what it is. */
export const VOLATILE_MANIFEST_FIELDS: readonly string[] = ['created'];

/** The digest of a bundle with this manifest, `sha256:<hex>`. */
export function bundleDigest(manifest: BundleManifest): string {
  const content: Record<string, unknown> = { ...manifest };
  for (const field of VOLATILE_MANIFEST_FIELDS) delete content[field];
  content.files = [...manifest.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return hashBytes(canonicalJson(content));
}
