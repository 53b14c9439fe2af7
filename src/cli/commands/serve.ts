/** `berth serve`: serve ONNX models over the inference protocols until told to stop. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../core/config.js';
import { Errors } from '../../core/errors.js';
import { type RunningServer, startServer } from '../../serve/server.js';
import { parseModelSpecs } from '../model-spec.js';

/** Options of `berth serve`. */
export interface ServeOptions {
  readonly models: readonly string[];
  readonly config: Config;
  readonly logger: Logger;
  readonly version: string;
  /** Where human-readable status lines go. */
  readonly print: (line: string) => void;
}

/** Starts serving; resolves with the running server once it listens. */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const specs = parseModelSpecs(options.models);
  if (specs.length === 0) throw Errors.MODEL_SPEC_INVALID.create('', 'give at least one model: berth serve model.onnx');
  const files = specs.map((s) => ({ name: s.name, path: resolve(s.path) }));
  for (const file of files) {
    if (!existsSync(file.path)) throw Errors.MODEL_LOAD_FAILED.create(file.path, 'no such file');
  }
  const server = await startServer({ config: options.config, models: files, logger: options.logger, version: options.version });
  const names = files.map((f) => f.name).join(', ');
  options.print(`Berth ${options.version} serving ${files.length} model${files.length === 1 ? '' : 's'} (${names}) at ${server.url}`);
  return server;
}
