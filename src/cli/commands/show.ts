/** `berth show <model>[@alias | :version]`: one model, or one version with its signature. */
import type { Config } from '../../core/config.js';
import { parseModelRef } from '../../core/model-ref.js';
import type { AliasRecord, ModelRecord, VersionDetail, VersionRecord } from '../../registry/index.js';
import { withRegistry } from '../with-registry.js';

/** Options of `berth show`. */
export interface ShowCommandOptions {
  readonly config: Config;
  /** `model`, `model:version` or `model@alias`. */
  readonly reference: string;
}

/** A model with its versions, or one version in full. */
export type ShowCommandResult =
  | { readonly kind: 'model'; readonly model: ModelRecord; readonly versions: readonly VersionRecord[]; readonly aliases: readonly AliasRecord[] }
  | { readonly kind: 'version'; readonly version: VersionDetail };

/** Shows a model (plain name) or a version (`model:3`, `model@production`). */
export async function showCommand(options: ShowCommandOptions): Promise<ShowCommandResult> {
  const ref = parseModelRef(options.reference);
  return withRegistry(options.config, undefined, async (registry): Promise<ShowCommandResult> => {
    if (ref.kind === 'default') {
      return {
        kind: 'model',
        model: await registry.getModel(ref.model),
        versions: await registry.listVersions(ref.model),
        aliases: await registry.listAliases(ref.model),
      };
    }
    return { kind: 'version', version: await registry.resolve(ref) };
  });
}
