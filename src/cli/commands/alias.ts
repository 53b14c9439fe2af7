/** `berth alias <model> <alias> <version>` and `berth alias <model> <alias> --remove`. */
import type { Config } from '../../core/config.js';
import { Errors } from '../../core/errors.js';
import { parseVersionNumber } from '../../core/model-ref.js';
import type { AliasChange, AliasRecord, AuditActor } from '../../registry/index.js';
import { withRegistry } from '../with-registry.js';

/** Options of `berth alias`. */
export interface AliasCommandOptions {
  readonly config: Config;
  readonly model: string;
  readonly alias: string;
  /** The version to point at; omitted with `remove`. */
  readonly version?: string | number | undefined;
  readonly remove?: boolean | undefined;
  readonly actor?: AuditActor | undefined;
}

/** The alias as it now is, or as it was before removal (`removed: true`). */
export type AliasCommandResult = AliasChange | (AliasRecord & { readonly removed: true });

/** Points an alias at a version, or removes it. */
export async function aliasCommand(options: AliasCommandOptions): Promise<AliasCommandResult> {
  const { model, alias } = options;
  if (options.remove && options.version !== undefined) {
    throw Errors.REGISTRY_REFERENCE_INVALID.create(`${model}@${alias}`, 'give either a version or --remove, not both');
  }
  if (!options.remove && options.version === undefined) {
    throw Errors.REGISTRY_REFERENCE_INVALID.create(`${model}@${alias}`, 'give the version the alias should point at, or --remove');
  }
  return withRegistry(options.config, options.actor, async (registry): Promise<AliasCommandResult> => {
    if (options.remove) return { ...(await registry.removeAlias(model, alias)), removed: true };
    const version = typeof options.version === 'number' ? options.version : parseVersionNumber(String(options.version), `${model}:${options.version}`);
    return registry.setAlias(model, alias, version);
  });
}
