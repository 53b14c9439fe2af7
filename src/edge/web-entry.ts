/**
 * `model.js` of `berth export --target web`: an ES module for the browser that loads the exported
 * bundle with onnxruntime-web (WebAssembly). Every file comes from the folder the module was served
 * from: the bundle, and onnxruntime's `.wasm` next to this module; nothing is fetched from a CDN.
 *
 * @example
 *   import { loadModel } from './model.js';
 *   const model = await loadModel();
 *   const { predictions } = await model.predict([{ age: 41, region: 'north' }]);
 */
import * as ort from 'onnxruntime-web/wasm';
import { Errors } from '../core/errors.js';
import { type EdgeModel, openEdgeModel } from './edge-model.js';
import { openExportedBundle } from './bundle-reader.js';

export type { EdgeModel } from './edge-model.js';

const HERE = new URL('./', import.meta.url);
ort.env.wasm.wasmPaths = HERE.href;
// Threads need SharedArrayBuffer, which only cross-origin-isolated pages have; a static folder
// cannot promise the headers, and one thread is what a small tabular model wants anyway.
ort.env.wasm.numThreads = 1;

async function fetchBytes(url: URL): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw Errors.BUNDLE_NOT_FOUND.create(url.href, `the server answered ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Loads the exported bundle (by default `./bundle/` next to this module). */
export async function loadModel(bundle: string | URL = './bundle/'): Promise<EdgeModel> {
  const base = new URL(bundle, HERE);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return openExportedBundle(ort, (path) => fetchBytes(new URL(path, base)), `bundle ${base.href}`);
}

/** Loads a plain ONNX model (no schema: `infer` only) from its bytes or its URL. */
export async function openModel(model: Uint8Array | string | URL, options: { name?: string } = {}): Promise<EdgeModel> {
  const bytes = model instanceof Uint8Array ? model : await fetchBytes(new URL(model, HERE));
  return openEdgeModel({ ort, model: bytes, name: options.name ?? 'model' });
}
