/**
 * `berth rollout <model> <version>`, `berth rollout status <model>` and `berth rollout abort
 * <model>`. They read and write the registry's database, which every server follows: a rollout
 * started here is stepped by whichever server holds its lease.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RolloutStore } from '../../store/index.js';
import type { Config } from '../../core/config.js';
import { Errors } from '../../core/errors.js';
import { parseVersionNumber } from '../../core/model-ref.js';
import type { RolloutPlanInput } from '../../core/rollout-plan.js';
import type { AuditActor, Registry } from '../../registry/index.js';
import { registryTraffic } from '../../app/rollouts/registry-traffic.js';
import type { RolloutEvent, RolloutRecord } from '../../app/rollouts/rollout-record.js';
import { Rollouts } from '../../app/rollouts/rollouts.js';
import { cliActor, withRegistry } from '../with-registry.js';

/** Options of `berth rollout <model> <version>`. */
export interface RolloutStartOptions extends RolloutPlanInput {
  readonly config: Config;
  readonly model: string;
  readonly version: string | number;
  readonly actor?: AuditActor | undefined;
  /** Follow the rollout to its end, telling each new event. */
  readonly wait?: ((event: RolloutEvent) => void) | undefined;
  /** How often `wait` reads the rollout (ms); default 1000. */
  readonly pollMs?: number | undefined;
}

/** Rollouts over the registry's database alone (servers apply the traffic changes when they poll). */
export function rolloutsOf(registry: Registry): Rollouts {
  return new Rollouts({ registry, store: new RolloutStore(registry.store.db), traffic: registryTraffic(registry) });
}

/** Starts a rollout; with `wait`, returns the rollout once it has ended. */
export async function rolloutStartCommand(options: RolloutStartOptions): Promise<RolloutRecord> {
  const { model } = options;
  const version = typeof options.version === 'number' ? options.version : parseVersionNumber(String(options.version), `${model}:${options.version}`);
  return withRegistry(options.config, options.actor, async (registry) => {
    const rollouts = rolloutsOf(registry);
    let record = await rollouts.start(model, version, options, actorOf(options.actor));
    if (!options.wait) return record;
    let told = 0;
    for (;;) {
      for (const event of record.events.slice(told)) options.wait(event);
      told = record.events.length;
      if (record.state !== 'running') return record;
      await sleep(options.pollMs ?? 1000);
      record = await rollouts.get(model, record.id);
    }
  });
}

/** The model's rollouts, newest first (`all`), or only the latest. Throws BERTH_ROLLOUT_NOT_FOUND when it has none. */
export async function rolloutStatusCommand(options: { readonly config: Config; readonly model: string; readonly all?: boolean | undefined }): Promise<RolloutRecord[]> {
  return withRegistry(options.config, undefined, async (registry) => {
    const list = await rolloutsOf(registry).list(options.model, options.all ? 100 : 1);
    if (list.length === 0) throw Errors.ROLLOUT_NOT_FOUND.create(options.model, '(it has never had one)');
    return list;
  });
}

/** Aborts the model's running rollout: traffic goes back to the champion. */
export async function rolloutAbortCommand(options: { readonly config: Config; readonly model: string; readonly actor?: AuditActor | undefined }): Promise<RolloutRecord> {
  return withRegistry(options.config, options.actor, (registry) => rolloutsOf(registry).abort(options.model, actorOf(options.actor)));
}

function actorOf(actor: AuditActor | undefined): AuditActor {
  return actor ?? cliActor();
}
