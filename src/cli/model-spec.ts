/** Parsing `name=path/to/model.onnx` arguments. */
import { basename } from 'node:path';
import { Errors } from '../core/errors.js';
import { isModelName } from '../core/names.js';

/** A model argument resolved to a name and a file. */
export interface ModelSpec {
  readonly name: string;
  readonly path: string;
}

/** Parses `path/to/file.onnx` (named after the file) or `name=path/to/file.onnx`. */
export function parseModelSpec(spec: string): ModelSpec {
  const eq = spec.indexOf('=');
  const path = eq >= 0 ? spec.slice(eq + 1) : spec;
  const name = eq >= 0 ? spec.slice(0, eq) : basename(path).replace(/\.onnx$/i, '');
  if (path === '') throw Errors.MODEL_SPEC_INVALID.create(spec, 'the path is empty');
  if (!isModelName(name)) {
    throw Errors.MODEL_SPEC_INVALID.create(spec, `'${name}' is not a valid model name (letters, digits, '.', '_' and '-', at most 128)`);
  }
  return { name, path };
}

/** Parses every model argument and refuses two models with one name. */
export function parseModelSpecs(specs: readonly string[]): ModelSpec[] {
  const parsed = specs.map(parseModelSpec);
  const seen = new Set<string>();
  for (const m of parsed) {
    if (seen.has(m.name)) throw Errors.MODEL_SPEC_INVALID.create(`${m.name}=${m.path}`, `another model is already named '${m.name}'; name one of them with name=path`);
    seen.add(m.name);
  }
  return parsed;
}
