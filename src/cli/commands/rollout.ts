/**
 * `berth rollout <model> <version>`, `berth rollout status <model>` and `berth rollout abort
 * <model>`. They read and write the registry's database, which every server follows: a rollout
 * started here is stepped by whichever server holds its lease. With `remote` they go through a
 * running server's API instead (`--url`), which takes the first step at once.
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
import { type RemoteServer, remoteJson } from '../remote-json.js';
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
  /** Start it through this server's API instead of the database. */
  readonly remote?: RemoteServer | undefined;
}

/** Rollouts over the registry's database alone (servers apply the traffic changes when they poll). */
export function rolloutsOf(registry: Registry): Rollouts {
  return new Rollouts({ registry, store: new RolloutStore(registry.store.db), traffic: registryTraffic(registry) });
}

/** Starts a rollout; with `wait`, returns the rollout once it has ended. */
export async function rolloutStartCommand(options: RolloutStartOptions): Promise<RolloutRecord> {
  const { model } = options;
  const version = typeof options.version === 'number' ? options.version : parseVersionNumber(String(options.version), `${model}:${options.version}`);
  if (options.remote) {
    const remote = options.remote;
    const { steps, bake, interval, minRequests, guards } = options;
    const body = JSON.stringify({ version, steps, bake, interval, minRequests, guards });
    const started = (await remoteJson(remote, rolloutsPath(model), { method: 'POST', headers: { 'content-type': 'application/json' }, body }, `starting a rollout of ${model}`)) as RolloutRecord;
    return follow(started, options, async (id) => (await remoteJson(remote, `${rolloutsPath(model)}/${encodeURIComponent(id)}`, {}, `reading rollout ${id} of ${model}`)) as RolloutRecord);
  }
  return withRegistry(options.config, options.actor, async (registry) => {
    const rollouts = rolloutsOf(registry);
    const record = await rollouts.start(model, version, options, actorOf(options.actor));
    return follow(record, options, (id) => rollouts.get(model, id));
  });
}

/** With `wait`, tells each new event of the rollout until it ends; without, returns it as it is. */
async function follow(record: RolloutRecord, options: RolloutStartOptions, read: (id: string) => Promise<RolloutRecord>): Promise<RolloutRecord> {
  if (!options.wait) return record;
  let told = 0;
  for (;;) {
    for (const event of record.events.slice(told)) options.wait(event);
    told = record.events.length;
    if (record.state !== 'running') return record;
    await sleep(options.pollMs ?? 1000);
    record = await read(record.id);
  }
}

function rolloutsPath(model: string): string {
  return `/api/models/${encodeURIComponent(model)}/rollouts`;
}

/** A model's rollouts from a server, newest first. */
async function remoteRollouts(remote: RemoteServer, model: string, limit: number): Promise<RolloutRecord[]> {
  const answer = (await remoteJson(remote, `${rolloutsPath(model)}?limit=${limit}`, {}, `reading the rollouts of ${model}`)) as { rollouts: RolloutRecord[] };
  return answer.rollouts;
}

/** The model's rollouts, newest first (`all`), or only the latest. Throws BERTH_ROLLOUT_NOT_FOUND when it has none. */
export async function rolloutStatusCommand(options: {
  readonly config: Config;
  readonly model: string;
  readonly all?: boolean | undefined;
  readonly remote?: RemoteServer | undefined;
}): Promise<RolloutRecord[]> {
  const limit = options.all ? 100 : 1;
  const list = options.remote ? await remoteRollouts(options.remote, options.model, limit) : await withRegistry(options.config, undefined, (registry) => rolloutsOf(registry).list(options.model, limit));
  if (list.length === 0) throw Errors.ROLLOUT_NOT_FOUND.create(options.model, '(it has never had one)');
  return list;
}

/** Aborts the model's running rollout: traffic goes back to the champion. */
export async function rolloutAbortCommand(options: {
  readonly config: Config;
  readonly model: string;
  readonly actor?: AuditActor | undefined;
  readonly remote?: RemoteServer | undefined;
}): Promise<RolloutRecord> {
  if (options.remote) {
    // The server aborts by id and says why when the latest one is not running.
    const [latest] = await remoteRollouts(options.remote, options.model, 1);
    if (!latest) throw Errors.ROLLOUT_NOT_RUNNING.create(options.model, 'none is');
    const path = `${rolloutsPath(options.model)}/${encodeURIComponent(latest.id)}/abort`;
    return (await remoteJson(options.remote, path, { method: 'POST' }, `aborting rollout ${latest.id} of ${options.model}`)) as RolloutRecord;
  }
  return withRegistry(options.config, options.actor, (registry) => rolloutsOf(registry).abort(options.model, actorOf(options.actor)));
}

function actorOf(actor: AuditActor | undefined): AuditActor {
  return actor ?? cliActor();
}
