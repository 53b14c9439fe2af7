/** `berth models`: list the registered models. */
import type { Config } from '../../core/config.js';
import type { ModelRecord } from '../../registry/index.js';
import { withRegistry } from '../with-registry.js';

/** Options of `berth models`. */
export interface ModelsCommandOptions {
  readonly config: Config;
}

/** Every registered model with its version count, latest version and aliases. */
export async function modelsCommand(options: ModelsCommandOptions): Promise<ModelRecord[]> {
  return withRegistry(options.config, undefined, (registry) => registry.listModels());
}
