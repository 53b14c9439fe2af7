/**
 * Builds what `berth export` ships into dist/targets/: the module of `--target web` (model.js, for
 * browsers) and of `--target node` (model.mjs, plain Node), each bundled by esbuild from the same
 * sources as the server (src/edge, which runs src/runtime/pipeline.ts), with onnxruntime-web's
 * WebAssembly build inside; onnxruntime-web's `.wasm` next to them; and the demo page and the Node
 * command-line script. The build runs it after compiling the server.
 *
 *   node --import tsx scripts/build-edge.ts
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';

const root = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const out = root('dist/targets');
const require = createRequire(import.meta.url);

const common: BuildOptions = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning',
  // Silences onnxruntime-web's own dynamic import of its Emscripten glue, which the bundle inlines.
  supported: { 'dynamic-import': true },
};

await rm(out, { recursive: true, force: true });
await mkdir(`${out}/web`, { recursive: true });
await mkdir(`${out}/node`, { recursive: true });
await mkdir(`${out}/ort`, { recursive: true });
await build({ ...common, entryPoints: [root('src/edge/web-entry.ts')], outfile: `${out}/web/model.js`, platform: 'browser' });
await build({ ...common, entryPoints: [root('src/edge/node-entry.ts')], outfile: `${out}/node/model.mjs`, platform: 'node' });
for (const file of ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs']) {
  await copyFile(require.resolve(`onnxruntime-web/${file}`), `${out}/ort/${file}`);
}
await copyFile(root('src/edge/assets/index.html'), `${out}/web/index.html`);
await copyFile(root('src/edge/assets/predict.mjs'), `${out}/node/predict.mjs`);
