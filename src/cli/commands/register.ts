/** `berth register <bundle | model.onnx | file.berth>`: add a version to the registry. */
import type { Config } from '../../core/config.js';
import type { AuditActor, RegisterResult } from '../../registry/index.js';
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
  readonly actor?: AuditActor | undefined;
}

/** Registers a bundle, archive or ONNX file; returns the version (an existing one for a known digest). */
export async function registerCommand(options: RegisterCommandOptions): Promise<RegisterResult> {
  return withRegistry(options.config, options.actor, (registry) =>
    registry.register(options.path, { name: options.name, aliases: options.aliases, tags: options.tags, description: options.description }),
  );
}
