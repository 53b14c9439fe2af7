/** `berth versions <model>`: list a model's versions. */
import type { Config } from '../../core/config.js';
import type { VersionRecord } from '../../registry/index.js';
import { withRegistry } from '../with-registry.js';

/** Options of `berth versions`. */
export interface VersionsCommandOptions {
  readonly config: Config;
  readonly model: string;
}

/** The versions of a model, oldest first. */
export async function versionsCommand(options: VersionsCommandOptions): Promise<VersionRecord[]> {
  return withRegistry(options.config, undefined, (registry) => registry.listVersions(options.model));
}
