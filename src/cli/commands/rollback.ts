/** `berth rollback <model>`: the alias (default production) goes back to the version it served before. */
import type { Config } from '../../core/config.js';
import type { AliasChange, AuditActor } from '../../registry/index.js';
import { type RemoteServer, remoteJson } from '../remote-json.js';
import { cliActor, withRegistry } from '../with-registry.js';
import { rolloutsOf } from './rollout.js';

/** Options of `berth rollback`. */
export interface RollbackCommandOptions {
  readonly config: Config;
  readonly model: string;
  /** Default `production`. */
  readonly alias?: string | undefined;
  /** Why, for the audit log. */
  readonly reason?: string | undefined;
  readonly actor?: AuditActor | undefined;
  /** Roll back through this server's API instead of the database. */
  readonly remote?: RemoteServer | undefined;
}

/**
 * Rolls the alias back (the registry's rule; see Registry.rollback); refused while a rollout of
 * the model runs (BERTH_ROLLOUT_RUNNING). Servers follow within two seconds.
 */
export async function rollbackCommand(options: RollbackCommandOptions): Promise<AliasChange> {
  if (options.remote) {
    const body = JSON.stringify({ ...(options.alias !== undefined ? { alias: options.alias } : {}), ...(options.reason !== undefined ? { reason: options.reason } : {}) });
    const path = `/api/models/${encodeURIComponent(options.model)}/rollback`;
    return (await remoteJson(options.remote, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body }, `rolling back ${options.model}`)) as AliasChange;
  }
  return withRegistry(options.config, options.actor, (registry) =>
    rolloutsOf(registry).rollback(options.model, {
      actor: options.actor ?? cliActor(),
      ...(options.alias !== undefined ? { alias: options.alias } : {}),
      ...(options.reason !== undefined ? { reason: options.reason } : {}),
    }),
  );
}
