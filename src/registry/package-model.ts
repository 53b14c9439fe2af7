/**
 * `packageModel`: turns an ONNX file (plus optional schema, pipeline, profile, metrics, lineage,
 * tags and extra files) into a bundle folder. The folder appears complete or not at all: it is
 * built beside its destination, flushed to disk, and renamed into place.
 */
import { copyFile, mkdir, open, readFile, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Errors } from '../core/errors.js';
import type { FeatureSchema } from '../core/feature-schema.js';
import type { PipelineSpec } from '../core/pipeline-spec.js';
import { describeOnnx } from '../core/signature-from-onnx.js';
import { fsyncDirectory, hashFile, temporarySibling } from '../store/durable-files.js';
import type { Bundle } from './bundle.js';
import { bundleDigest } from './bundle-digest.js';
import { BUNDLE_FORMAT_VERSION, type BundleFile, type JsonObject, MANIFEST_FILE, bundlePathProblem, parseManifestText } from './bundle-manifest.js';
import { validateModelName } from '../core/names.js';

/** The model file's path inside every bundle Berth packages. */
export const MODEL_FILE = 'model.onnx';

/** Options for {@link packageModel}. */
export interface PackageOptions {
  /** The bundle folder to create; it must not exist or be empty. */
  readonly outDir: string;
  /** Default: the ONNX file's name without `.onnx`. */
  readonly name?: string | undefined;
  /**
   * What messages and the default name call the ONNX file (an upload's own file name, not where
   * the server keeps it); default its path.
   */
  readonly label?: string | undefined;
  readonly description?: string | undefined;
  readonly tags?: Readonly<Record<string, string>> | undefined;
  readonly schema?: FeatureSchema | undefined;
  readonly pipeline?: PipelineSpec | undefined;
  readonly profile?: JsonObject | undefined;
  readonly metrics?: Readonly<Record<string, number>> | undefined;
  /** The full evaluation (see BundleManifest.evaluation). */
  readonly evaluation?: JsonObject | undefined;
  readonly lineage?: JsonObject | undefined;
  /**
   * Further top-level manifest fields, written as they are: what a newer Berth or another tool put
   * in a manifest, carried over when a bundle is packaged again. Fields packageModel writes itself
   * cannot be set this way.
   */
  readonly extensions?: JsonObject | undefined;
  /** More files to carry, by their path in the bundle: `{ 'profile.json': '/tmp/profile.json' }`. */
  readonly files?: Readonly<Record<string, string>> | undefined;
  /** When the bundle was made; default now. */
  readonly created?: Date | undefined;
}

/**
 * Packages `onnxPath` as a bundle in `options.outDir` and returns it. Throws
 * BERTH_BUNDLE_NOT_FOUND (no such file), BERTH_BUNDLE_MODEL_INVALID (not an ONNX model),
 * BERTH_REGISTRY_NAME_INVALID, BERTH_BUNDLE_MANIFEST_INVALID (bad schema, pipeline or file path)
 * or BERTH_BUNDLE_OUTPUT_EXISTS.
 *
 * @example
 *   const bundle = await packageModel('mlp.onnx', { name: 'digits', outDir: 'bundles/digits', tags: { team: 'vision' } });
 */
export async function packageModel(onnxPath: string, options: PackageOptions): Promise<Bundle> {
  const source = resolve(onnxPath);
  const bytes = await readModel(source);
  const label = options.label ?? source;
  const name = validateModelName(options.name ?? basename(label).replace(/\.onnx$/i, ''));
  const described = describeOnnx(bytes, label);
  const outDir = resolve(options.outDir);
  await refuseExistingOutput(outDir);

  const extra = Object.entries(options.files ?? {});
  for (const [path] of extra) {
    const problem = bundlePathProblem(path) ?? (path === MODEL_FILE ? `${MODEL_FILE} is the model file` : undefined);
    if (problem) throw Errors.BUNDLE_MANIFEST_INVALID.create(`the bundle for ${label}`, `file path '${path}' is unsafe: ${problem}`);
  }

  await mkdir(dirname(outDir), { recursive: true });
  const building = temporarySibling(outDir);
  await mkdir(building);
  try {
    const files: BundleFile[] = [];
    await writeDurable(join(building, MODEL_FILE), bytes);
    files.push({ path: MODEL_FILE, ...(await fileEntry(join(building, MODEL_FILE))) });
    for (const [path, from] of extra) {
      const target = join(building, ...path.split('/'));
      await mkdir(dirname(target), { recursive: true });
      await copyFile(resolve(from), target).catch((error: NodeJS.ErrnoException) => {
        throw error.code === 'ENOENT' ? Errors.BUNDLE_NOT_FOUND.create(resolve(from), 'no such file') : error;
      });
      await syncFile(target);
      files.push({ path, ...(await fileEntry(target)) });
    }
    const manifest = {
      ...extensionFields(options.extensions),
      formatVersion: BUNDLE_FORMAT_VERSION,
      name,
      description: options.description ?? '',
      created: (options.created ?? new Date()).toISOString(),
      model: {
        file: MODEL_FILE,
        irVersion: described.irVersion,
        opsets: described.opsets,
        ...(described.producer ? { producer: described.producer } : {}),
        ...(described.producerVersion ? { producerVersion: described.producerVersion } : {}),
      },
      signature: described.signature,
      ...(options.schema ? { schema: options.schema } : {}),
      ...(options.pipeline ? { pipeline: options.pipeline } : {}),
      ...(options.profile ? { profile: options.profile } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
      ...(options.evaluation ? { evaluation: options.evaluation } : {}),
      ...(options.lineage ? { lineage: options.lineage } : {}),
      tags: { ...(options.tags ?? {}) },
      files: files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    };
    const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
    // Validate what we are about to write exactly as a reader will (schema and pipeline included).
    const parsed = parseManifestText(manifestText, `the bundle for ${source}`);
    await writeDurable(join(building, MANIFEST_FILE), manifestText);
    await fsyncDirectory(building);
    if (await isEmptyDirectory(outDir)) await rmdir(outDir);
    await rename(building, outDir);
    await fsyncDirectory(dirname(outDir));
    return {
      dir: outDir,
      manifest: parsed,
      manifestText,
      digest: bundleDigest(parsed),
      modelPath: join(outDir, MODEL_FILE),
      size: Buffer.byteLength(manifestText) + files.reduce((sum, f) => sum + f.size, 0),
    };
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    throw error;
  }
}

/** The fields packageModel writes itself; an extension may not set them. */
const OWN_FIELDS = new Set([
  'formatVersion', 'name', 'description', 'created', 'model', 'signature', 'schema', 'pipeline',
  'profile', 'metrics', 'evaluation', 'lineage', 'tags', 'files',
]);

function extensionFields(extensions: JsonObject | undefined): JsonObject {
  return Object.fromEntries(Object.entries(extensions ?? {}).filter(([key]) => !OWN_FIELDS.has(key)));
}

async function readModel(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw Errors.BUNDLE_NOT_FOUND.create(path, 'no such file');
    if (code === 'EISDIR') throw Errors.BUNDLE_NOT_FOUND.create(path, 'it is a folder, not an .onnx file');
    throw error;
  }
}

async function refuseExistingOutput(outDir: string): Promise<void> {
  const s = await stat(outDir).catch(() => undefined);
  if (s && !(s.isDirectory() && (await isEmptyDirectory(outDir)))) throw Errors.BUNDLE_OUTPUT_EXISTS.create(outDir);
}

async function isEmptyDirectory(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch {
    return false;
  }
}

async function fileEntry(path: string): Promise<{ sha256: string; size: number }> {
  const { digest, size } = await hashFile(path);
  return { sha256: digest, size };
}

async function writeDurable(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
