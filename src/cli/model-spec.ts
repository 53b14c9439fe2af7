/** Parsing `name=path/to/model.onnx` and `[name=]model-folder` arguments. */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Errors } from '../core/errors.js';
import { isModelName } from '../core/names.js';
import { MODEL_FOLDER_INDEX } from '../registry/index.js';

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

/** A model folder argument: the folder, and the name its one model is served under when given as `name=folder`. */
export interface ModelFolderSpec {
  readonly dir: string;
  readonly name?: string;
}

/**
 * The model folder the arguments name, when they are one folder (`dir`) or one named folder
 * (`name=dir`, as KServe's `{{.Name}}=/mnt/models`); undefined for model files.
 */
export function parseModelFolderSpec(specs: readonly string[]): ModelFolderSpec | undefined {
  if (specs.length !== 1) return undefined;
  const spec = specs[0]!;
  if (existsSync(join(spec, MODEL_FOLDER_INDEX))) return { dir: spec };
  const eq = spec.indexOf('=');
  if (eq < 0 || !existsSync(join(spec.slice(eq + 1), MODEL_FOLDER_INDEX))) return undefined;
  const { name, path } = parseModelSpec(spec);
  return { dir: path, name };
}
