/**
 * `--reference data.csv` for `berth register`: a bundle is immutable, so giving one a reference
 * profile means packaging it again, with every other part of its manifest and every file kept.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Errors } from '../core/errors.js';
import { describeOnnx } from '../core/signature-from-onnx.js';
import { type Bundle, type JsonObject, importBundle, loadBundle, looksLikeArchive, packageModel } from '../registry/index.js';
import { referenceProfile } from './reference-profile.js';
import { readCsvFile } from '../train/index.js';

/** A bundle folder ready to register, and where its model came from (for the version's record). */
export interface BundleWithReference {
  readonly dir: string;
  readonly source: string;
}

/**
 * Makes, in `work/bundle`, the bundle of `source` (a bundle folder, a `.berth` archive or a
 * `.onnx` file) with the reference profile of `csv` in place of any it had. `name` and
 * `description` apply to a plain `.onnx` file, as when registering one; `target` names the CSV's
 * column of true labels, for a classifier's calibration.
 */
export async function bundleWithReference(
  source: string,
  csv: string,
  work: string,
  options: { readonly name?: string | undefined; readonly description?: string | undefined; readonly target?: string | undefined } = {},
): Promise<BundleWithReference> {
  const path = resolve(source);
  const s = await stat(path).catch(() => undefined);
  if (!s) throw Errors.BUNDLE_NOT_FOUND.create(path, 'no such file or folder');
  let bundle: Bundle | undefined;
  let kind = 'file';
  if (s.isDirectory()) {
    bundle = await loadBundle(path);
    kind = 'bundle';
  } else if (await looksLikeArchive(path)) {
    bundle = await importBundle(path, join(work, 'imported'));
    kind = 'archive';
  }
  const onnx = await readFile(bundle ? bundle.modelPath : path);
  const manifest = bundle?.manifest;
  const profile = await referenceProfile(await readCsvFile(csv), {
    onnx,
    signature: manifest ? manifest.signature : describeOnnx(onnx, path).signature,
    schema: manifest?.schema,
    pipeline: manifest?.pipeline,
  }, options.target);
  const dir = join(work, 'bundle');
  if (!bundle || !manifest) {
    await packageModel(path, { outDir: dir, name: options.name, description: options.description, profile: profile as unknown as JsonObject });
  } else {
    const root = bundle.dir;
    const files = Object.fromEntries(manifest.files.filter((f) => f.path !== manifest.model.file).map((f) => [f.path, join(root, ...f.path.split('/'))]));
    await packageModel(bundle.modelPath, {
      outDir: dir,
      name: manifest.name,
      description: manifest.description,
      tags: manifest.tags,
      schema: manifest.schema,
      pipeline: manifest.pipeline,
      profile: profile as unknown as JsonObject,
      metrics: manifest.metrics,
      evaluation: manifest.evaluation,
      lineage: manifest.lineage,
      files,
      created: new Date(manifest.created),
      extensions: manifest,
    });
  }
  return { dir, source: `${kind}:${path}` };
}
