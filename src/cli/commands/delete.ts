/** `berth delete <model>:<version> [--force]`: delete a version. */
import type { Config } from '../../core/config.js';
import { Errors } from '../../core/errors.js';
import { parseModelRef } from '../../core/model-ref.js';
import type { AuditActor, DeleteResult } from '../../registry/index.js';
import { withRegistry } from '../with-registry.js';

/** Options of `berth delete`. */
export interface DeleteCommandOptions {
  readonly config: Config;
  /** `model:version`; an alias or a plain name is refused, so nothing is deleted by accident. */
  readonly reference: string;
  /** Also remove the aliases that point at the version. */
  readonly force?: boolean | undefined;
  readonly actor?: AuditActor | undefined;
}

/** Deletes a version (refused while an alias points at it, unless `force`). */
export async function deleteCommand(options: DeleteCommandOptions): Promise<DeleteResult> {
  const ref = parseModelRef(options.reference);
  if (ref.kind !== 'version') throw Errors.REGISTRY_REFERENCE_INVALID.create(options.reference, 'name the version to delete explicitly, as model:version');
  return withRegistry(options.config, options.actor, (registry) => registry.deleteVersion(ref.model, ref.version, { force: options.force ?? false }));
}
