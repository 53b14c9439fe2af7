/**
 * Rollouts as commands: start one, abort it, read them, and roll back production (refused while a
 * rollout runs, which owns the traffic until it ends). The same calls serve the CLI (which writes
 * the database every server follows) and the API (which applies traffic changes to its replica at
 * once). The stepping itself is the RolloutRunner's, on whichever server holds the lease.
 *
 * @example
 *   const rollouts = new Rollouts({ registry, store: new RolloutStore(registry.store.db), traffic });
 *   const rollout = await rollouts.start('digits', 3, { steps: '10,50,100', guards: ['error_rate<0.01'] }, actor);
 */
import { randomUUID } from 'node:crypto';
import { Errors } from '../../core/errors.js';
import { inputMismatch } from '../../core/input-compatibility.js';
import { type RolloutPlanInput, describeRolloutPlan, rolloutPlan } from '../../core/rollout-plan.js';
import type { AliasChange, AuditActor, Registry } from '../../registry/index.js';
import type { RolloutRow, RolloutStore } from '../../store/index.js';
import { type RolloutEvent, type RolloutRecord, planOf, rolloutRecord, storedPlan } from './rollout-record.js';
import type { RolloutTraffic } from './rollout-traffic.js';

/** Options of {@link Rollouts}. */
export interface RolloutsOptions {
  readonly registry: Registry;
  readonly store: RolloutStore;
  readonly traffic: RolloutTraffic;
  /** Rolls an alias back (RegistryChanges in a server, so this replica follows at once; the registry otherwise). */
  readonly rollback?: (model: string, options: { readonly alias?: string; readonly reason?: string; readonly actor: AuditActor }) => Promise<AliasChange>;
  /** The clock, epoch ms (tests move it). */
  readonly now?: () => number;
}

/** How many times an abort retries when the runner wrote the row at the same moment. */
const ABORT_ATTEMPTS = 5;

/** Starting, aborting and reading rollouts. */
export class Rollouts {
  readonly #options: RolloutsOptions;
  readonly #now: () => number;

  constructor(options: RolloutsOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Starts a rollout of `model` from its production version (the champion) to `challenger`. It
   * is a row that the server holding its lease picks up at once; the first step moves traffic.
   * Throws BERTH_ROLLOUT_PLAN_INVALID or _GUARD_INVALID, the registry's not-found errors,
   * BERTH_ROLLOUT_CHALLENGER_INVALID and BERTH_ROLLOUT_ALREADY_RUNNING; nothing is written then.
   */
  async start(model: string, challenger: number, input: RolloutPlanInput, actor: AuditActor): Promise<RolloutRecord> {
    const plan = rolloutPlan(input);
    const { registry, store, traffic } = this.#options;
    const record = await registry.getModel(model);
    const next = await registry.getVersion(model, challenger);
    const champion = record.aliases.production;
    if (champion === undefined) throw Errors.ROLLOUT_CHALLENGER_INVALID.create(model, challenger, `the model has no production version to roll out from; point production at one first (berth alias ${model} production <version>)`);
    if (champion === challenger) throw Errors.ROLLOUT_CHALLENGER_INVALID.create(model, challenger, 'it is already the production version');
    // Callers keep sending what the champion takes, at every step up to 100%.
    const mismatch = inputMismatch((await registry.getVersion(model, champion)).manifest.signature, next.manifest.signature);
    if (mismatch) throw Errors.ROLLOUT_CHALLENGER_INVALID.create(model, challenger, `it takes inputs ${mismatch.candidate} and the production version v${champion} takes ${mismatch.current}, so callers' requests would fail`);
    const running = await store.runningFor(model);
    if (running) throw Errors.ROLLOUT_ALREADY_RUNNING.create(model, running.id, running.challenger);
    if ((await traffic.current(model)) !== null) {
      throw Errors.ROLLOUT_CHALLENGER_INVALID.create(model, challenger, `the model already has a deployment (a traffic split or a shadow), and a rollout sets traffic itself; clear it first (berth traffic ${model} --clear)`);
    }
    const now = new Date(this.#now()).toISOString();
    const id = randomUUID();
    const started: RolloutEvent = { at: now, kind: 'started', step: -1, message: `rollout from v${champion} to v${challenger}: ${describeRolloutPlan(plan)}` };
    const row: RolloutRow = {
      id,
      model,
      active_model: model,
      champion,
      challenger,
      state: 'running',
      plan: JSON.stringify(storedPlan(plan)),
      step: -1,
      step_started_at: null,
      next_check_at: now,
      created_at: now,
      updated_at: now,
      finished_at: null,
      interface: actor.interface,
      actor: actor.actor ?? null,
      reason: null,
      deployment_seq: null,
      last_check: null,
      events: JSON.stringify([started]),
      holder: null,
      revision: 0,
    };
    const inserted = await store.insert(row);
    if (!inserted.inserted) throw Errors.ROLLOUT_ALREADY_RUNNING.create(model, inserted.running.id, inserted.running.challenger);
    return rolloutRecord(row);
  }

  /**
   * Aborts the model's running rollout (or rollout `id`, which must be the running one): it is
   * marked aborted first, so the runner moves no more traffic, then the deployment is removed and
   * production (the champion) takes every request again. Throws BERTH_ROLLOUT_NOT_RUNNING, or
   * BERTH_ROLLOUT_NOT_FOUND for an unknown id.
   */
  async abort(model: string, actor: AuditActor, id?: string): Promise<RolloutRecord> {
    const { store, traffic } = this.#options;
    await this.#options.registry.getModel(model);
    for (let attempt = 1; attempt <= ABORT_ATTEMPTS; attempt++) {
      const row = id === undefined ? await store.runningFor(model) : await this.#row(model, id);
      if (!row) throw Errors.ROLLOUT_NOT_RUNNING.create(model, 'none is');
      if (row.state !== 'running') throw Errors.ROLLOUT_NOT_RUNNING.create(model, `rollout ${row.id} has ${row.state.replace('_', ' ')}`);
      if (row.step >= planOf(row).steps.length) throw Errors.ROLLOUT_NOT_RUNNING.create(model, `rollout ${row.id} passed every step and is being promoted`);
      const now = new Date(this.#now()).toISOString();
      const who = actor.actor ? `${actor.actor} (${actor.interface})` : actor.interface;
      const reason = `aborted by ${who}`;
      const event: RolloutEvent = { at: now, kind: 'aborted', step: row.step, message: `${reason}; traffic back to the champion v${row.champion}` };
      const written = await store.update(row.id, row.revision, {
        state: 'aborted',
        reason,
        finished_at: now,
        updated_at: now,
        events: JSON.stringify([...(JSON.parse(row.events) as RolloutEvent[]), event]),
      });
      if (!written) continue;
      // Marked first, so a step the runner was taking cannot land after this (it names the deployment it replaces).
      if (row.step >= 0) await traffic.clear(model, actor);
      return rolloutRecord((await store.get(row.id))!);
    }
    throw Errors.ROLLOUT_NOT_RUNNING.create(model, 'it kept changing while being aborted; run the abort again');
  }

  /** One rollout of the model. Throws BERTH_ROLLOUT_NOT_FOUND. */
  async get(model: string, id: string): Promise<RolloutRecord> {
    return rolloutRecord(await this.#row(model, id));
  }

  /** The model's rollouts, newest first. Throws BERTH_REGISTRY_MODEL_NOT_FOUND. */
  async list(model: string, limit = 20): Promise<RolloutRecord[]> {
    await this.#options.registry.getModel(model);
    return (await this.#options.store.list(model, limit)).map(rolloutRecord);
  }

  /**
   * Rolls production (or `alias`) back to the version it served before (the registry's rule).
   * Refused with BERTH_ROLLOUT_RUNNING while a rollout of the model runs: abort it instead.
   */
  async rollback(model: string, options: { readonly alias?: string; readonly reason?: string; readonly actor: AuditActor }): Promise<AliasChange> {
    const running = await this.#options.store.runningFor(model);
    if (running) throw Errors.ROLLOUT_RUNNING.create(model, running.id);
    const { alias, reason, actor } = options;
    if (this.#options.rollback) return this.#options.rollback(model, options);
    return this.#options.registry.rollback(model, { actor, ...(alias !== undefined ? { alias } : {}), ...(reason !== undefined ? { reason } : {}) });
  }

  async #row(model: string, id: string): Promise<RolloutRow> {
    const row = await this.#options.store.get(id);
    if (!row || row.model !== model) throw Errors.ROLLOUT_NOT_FOUND.create(model, id);
    return row;
  }
}
