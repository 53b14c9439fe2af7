/**
 * `model.mjs` of `berth export --target node`: the exported bundle run by onnxruntime-web's
 * WebAssembly build in plain Node, so the folder needs no Berth installation and no native addon.
 * The same code as the browser module but for how files are read.
 *
 * @example
 *   import { loadModel } from './model.mjs';
 *   const model = await loadModel();
 *   const { predictions } = await model.predict([{ age: 41, region: 'north' }]);
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { type EdgeModel, openEdgeModel } from './edge-model.js';
import { openExportedBundle } from './bundle-reader.js';

export type { EdgeModel } from './edge-model.js';

const HERE = new URL('./', import.meta.url);
ort.env.wasm.wasmPaths = fileURLToPath(HERE);
ort.env.wasm.numThreads = 1;

/** Loads the exported bundle (by default `./bundle/` next to this module). */
export async function loadModel(bundle: string | URL = './bundle/'): Promise<EdgeModel> {
  const base = new URL(bundle, HERE);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return openExportedBundle(ort, async (path) => new Uint8Array(await readFile(new URL(path, base))), `bundle ${fileURLToPath(base)}`);
}

/** Loads a plain ONNX model (no schema: `infer` only) from its bytes or its path. */
export async function openModel(model: Uint8Array | string, options: { name?: string } = {}): Promise<EdgeModel> {
  const bytes = model instanceof Uint8Array ? model : new Uint8Array(await readFile(model));
  return openEdgeModel({ ort, model: bytes, name: options.name ?? 'model' });
}
