/**
 * `berth export --target web | node`: a version as a self-contained folder that runs without a
 * Berth server. Both hold the bundle (verified, under `bundle/`), onnxruntime-web's WebAssembly
 * runtime, and the module built from src/edge (the server's pipeline code, bundled by esbuild at
 * build time into dist/targets/):
 *
 *     web/   index.html (a demo form built from the schema), model.js (ES module: loadModel()),
 *            ort-wasm-simd-threaded.{wasm,mjs}, bundle/, README.md
 *     node/  model.mjs (loadModel()), predict.mjs (rows in, predictions out), the same runtime
 *            files, bundle/, package.json, README.md
 */
import { cp, copyFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Errors } from '../core/errors.js';
import { type Bundle, MANIFEST_FILE } from '../registry/index.js';
import { fsyncDirectory, temporarySibling } from '../store/durable-files.js';

/** Where an exported folder runs. */
export type ExportTarget = 'web' | 'node';

/** Every target `berth export --target` takes; `archive` is the `.berth` file. */
export const EXPORT_TARGETS = ['archive', 'web', 'node'] as const;

/** Options of {@link exportTargetFolder}. */
export interface ExportTargetOptions {
  readonly target: ExportTarget;
  /** The folder to create; it must not exist or be empty unless `overwrite`. */
  readonly outDir: string;
  readonly overwrite?: boolean;
  /** Names the version in the folder's README (`loans:3`). */
  readonly label: string;
  /** The built targets (dist/targets); tests point elsewhere. */
  readonly targetsDir?: string;
}

/** What {@link exportTargetFolder} wrote. */
export interface ExportedFolder {
  readonly dir: string;
  /** Every file written, relative to `dir`, with its size, sorted by path. */
  readonly files: readonly { readonly path: string; readonly bytes: number }[];
  readonly bytes: number;
}

/** The runtime files every target carries next to its module. */
const RUNTIME_FILES = ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs'];

const DEFAULT_TARGETS_DIR = fileURLToPath(new URL('../targets/', import.meta.url));

/**
 * Writes the folder of `target` for a verified bundle, atomically (built beside the output, then
 * renamed). Throws BERTH_BUNDLE_OUTPUT_EXISTS, and BERTH_EXPORT_TARGET_MISSING when this Berth was
 * built without its export targets.
 *
 * @example
 *   await exportTargetFolder(bundle, { target: 'web', outDir: 'loans-web', label: 'loans:3' });
 */
export async function exportTargetFolder(bundle: Bundle, options: ExportTargetOptions): Promise<ExportedFolder> {
  const targets = options.targetsDir ?? DEFAULT_TARGETS_DIR;
  const moduleDir = join(targets, options.target);
  for (const needed of [moduleDir, ...RUNTIME_FILES.map((f) => join(targets, 'ort', f))]) {
    if (!(await stat(needed).catch(() => undefined))) throw Errors.EXPORT_TARGET_MISSING.create(options.target, needed);
  }
  const target = resolve(options.outDir);
  const existing = await stat(target).catch(() => undefined);
  if (existing && !options.overwrite && !(existing.isDirectory() && (await readdir(target)).length === 0)) throw Errors.BUNDLE_OUTPUT_EXISTS.create(target);

  await mkdir(dirname(target), { recursive: true });
  const building = temporarySibling(target);
  try {
    await cp(moduleDir, building, { recursive: true });
    for (const file of RUNTIME_FILES) await copyFile(join(targets, 'ort', file), join(building, file));
    await mkdir(join(building, 'bundle'));
    for (const path of [MANIFEST_FILE, ...bundle.manifest.files.map((f) => f.path)]) {
      const to = join(building, 'bundle', ...path.split('/'));
      await mkdir(dirname(to), { recursive: true });
      await copyFile(join(bundle.dir, ...path.split('/')), to);
    }
    if (options.target === 'node') {
      await writeFile(join(building, 'package.json'), `${JSON.stringify({ name: `${bundle.manifest.name}-model`, private: true, type: 'module', main: 'model.mjs' }, null, 2)}\n`);
    }
    await writeFile(join(building, 'README.md'), readme(options.target, options.label, bundle));
    await rm(target, { recursive: true, force: true });
    await rename(building, target);
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    throw error;
  }
  await fsyncDirectory(dirname(target));
  const files = await listFiles(target);
  return { dir: target, files, bytes: files.reduce((sum, f) => sum + f.bytes, 0) };
}

async function listFiles(root: string, prefix = ''): Promise<{ path: string; bytes: number }[]> {
  const files: { path: string; bytes: number }[] = [];
  for (const entry of await readdir(join(root, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFiles(root, path)));
    else files.push({ path, bytes: (await stat(join(root, path))).size });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

function readme(target: ExportTarget, label: string, bundle: Bundle): string {
  const example = bundle.manifest.schema
    ? `const { predictions } = await model.predict([{ ${bundle.manifest.schema.features
        .slice(0, 2)
        .map((f) => `${f.name}: …`)
        .join(', ')} }]);`
    : `const outputs = await model.infer([{ name: '${bundle.manifest.signature.inputs[0]?.name ?? 'input'}', datatype: '…', shape: […], data: […] }]);`;
  const common = `The bundle (\`bundle/\`, digest \`${bundle.digest}\`) runs in onnxruntime-web (WebAssembly) through the same
pipeline code as the Berth server, so predictions match the server's within float tolerance.
\`loadModel()\` resolves to an object with \`predict(records)\`, \`infer(tensors)\`, \`schema\`, \`signature\`
and \`close()\`, as \`import { loadModel } from 'berth'\` does in Node.
`;
  if (target === 'web') {
    return `# ${label} in the browser

Made by \`berth export ${label} --target web\`. Serve this folder with any static file server (pages
opened from \`file://\` cannot fetch the model), for example \`python3 -m http.server\`, and open
\`index.html\`: a form built from the model's schema. Nothing is fetched from elsewhere.

${common}
\`\`\`js
import { loadModel } from './model.js';
const model = await loadModel();
${example}
\`\`\`
`;
  }
  return `# ${label} in plain Node

Made by \`berth export ${label} --target node\`. Needs only Node 20 or later: no Berth installation,
no \`npm install\`, no native addon.

\`\`\`sh
node predict.mjs rows.json      # rows.json: [{...}, ...]; prints the predictions as JSON
\`\`\`

${common}
\`\`\`js
import { loadModel } from './model.mjs';
const model = await loadModel();
${example}
\`\`\`
`;
}
