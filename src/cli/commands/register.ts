/** `berth register <bundle | model.onnx | file.berth>`: add a version to the registry. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../core/config.js';
import type { AuditActor, RegisterResult } from '../../registry/index.js';
import { bundleWithReference } from '../../app/bundle-with-reference.js';
import { withRegistry } from '../with-registry.js';

/** Options of `berth register`. */
export interface RegisterCommandOptions {
  readonly config: Config;
  /** A bundle folder, a `.onnx` file or a `.berth` archive. */
  readonly path: string;
  readonly name?: string | undefined;
  readonly aliases?: readonly string[] | undefined;
  readonly tags?: Readonly<Record<string, string>> | undefined;
  /** For a plain .onnx file. */
  readonly description?: string | undefined;
  /** A CSV of the model's reference data: its profile replaces any the bundle carries. */
  readonly referenceFile?: string | undefined;
  /** The reference CSV's column of true labels, for a classifier's calibration (default: the pipeline's target, when present). */
  readonly target?: string | undefined;
  readonly actor?: AuditActor | undefined;
}

/** Registers a bundle, archive or ONNX file; returns the version (an existing one for a known digest). */
export async function registerCommand(options: RegisterCommandOptions): Promise<RegisterResult> {
  const { referenceFile } = options;
  const register = { name: options.name, aliases: options.aliases, tags: options.tags, description: options.description };
  if (referenceFile === undefined) return withRegistry(options.config, options.actor, (registry) => registry.register(options.path, register));
  const work = await mkdtemp(join(tmpdir(), 'berth-register-'));
  try {
    const bundle = await bundleWithReference(options.path, referenceFile, work, { name: options.name, description: options.description, target: options.target });
    return await withRegistry(options.config, options.actor, (registry) => registry.register(bundle.dir, { ...register, source: bundle.source }));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
