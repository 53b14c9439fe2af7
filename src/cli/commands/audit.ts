/** `berth audit [model]`: the registry's change history. */
import type { Config } from '../../core/config.js';
import { type AuditEntry, validateModelName } from '../../registry/index.js';
import { withRegistry } from '../with-registry.js';

/** Options of `berth audit`. */
export interface AuditCommandOptions {
  readonly config: Config;
  readonly model?: string | undefined;
  /** Only the newest this many entries; default 50. */
  readonly limit?: number | undefined;
  /** Only entries after this sequence number. */
  readonly after?: number | undefined;
}

/** Audit log entries, oldest first. */
export async function auditCommand(options: AuditCommandOptions): Promise<AuditEntry[]> {
  if (options.model !== undefined) validateModelName(options.model);
  return withRegistry(options.config, undefined, async (registry) => {
    const newest = await registry.auditLog({
      order: 'desc',
      limit: options.limit ?? 50,
      ...(options.model !== undefined ? { model: options.model } : {}),
      ...(options.after !== undefined ? { after: options.after } : {}),
    });
    return newest.reverse();
  });
}
