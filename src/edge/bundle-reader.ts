/**
 * Reads an exported bundle (its `berth.json` and model file) through whatever the platform fetches
 * files with, checks the model file against the manifest's size and sha256, and opens it. Shared
 * by the browser module and the plain-Node folder of `berth export`.
 */
import { Errors } from '../core/errors.js';
import { type EdgeManifest, type EdgeModel, type OrtWeb, openEdgeModel } from './edge-model.js';

/** Reads a file of the bundle by its `/`-separated path inside it. */
export type ReadBundleFile = (path: string) => Promise<Uint8Array>;

interface ManifestFile {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

interface ExportedManifest extends EdgeManifest {
  readonly model: { readonly file: string };
  readonly files: readonly ManifestFile[];
}

/** Opens the bundle `read` reaches. Throws BERTH_BUNDLE_MANIFEST_INVALID, BERTH_BUNDLE_FILE_CORRUPT or BERTH_MODEL_LOAD_FAILED. */
export async function openExportedBundle(ort: OrtWeb, read: ReadBundleFile, where: string): Promise<EdgeModel> {
  let manifest: ExportedManifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(await read('berth.json'))) as ExportedManifest;
  } catch (error) {
    throw Errors.BUNDLE_MANIFEST_INVALID.create(where, `berth.json cannot be read: ${(error as Error).message}`, { cause: error });
  }
  if (typeof manifest?.model?.file !== 'string' || !Array.isArray(manifest.files)) {
    throw Errors.BUNDLE_MANIFEST_INVALID.create(where, 'berth.json names no model file');
  }
  const model = await read(manifest.model.file);
  const entry = manifest.files.find((f) => f.path === manifest.model.file);
  if (entry === undefined) throw Errors.BUNDLE_MANIFEST_INVALID.create(where, `berth.json does not list ${manifest.model.file} among its files`);
  if (model.byteLength !== entry.size) throw Errors.BUNDLE_FILE_CORRUPT.create(where, entry.path, `has ${model.byteLength} bytes but the manifest says ${entry.size}`);
  const actual = await sha256(model);
  if (actual !== undefined && actual !== entry.sha256) {
    throw Errors.BUNDLE_FILE_CORRUPT.create(where, entry.path, `has sha256 ${actual}, not ${entry.sha256} as the manifest says`);
  }
  return openEdgeModel({ ort, model, manifest });
}

/**
 * `sha256:<hex>` of the bytes, or undefined where Web Crypto is unavailable (a page served over
 * plain HTTP from another host than localhost is not a secure context; the size check still holds).
 */
async function sha256(bytes: Uint8Array): Promise<string | undefined> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) return undefined;
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return `sha256:${Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
