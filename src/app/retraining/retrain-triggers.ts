/**
 * Retraining triggers: each replica ticks, and the one holding the `retrain-triggers` lease in the
 * monitor's lease store (like the rollout runner and the alert evaluator) looks at every model's
 * policy and queues a retraining when one of its triggers is due: a schedule (interval or cron)
 * since the last retraining, a drift alert that started firing, or N new labelled rows. Whatever a
 * trigger saw is written on the policy's row, so a replica taking over carries on where it left.
 *
 * @example
 *   const triggers = new RetrainTriggers({ retraining, policies, alerts, leases, labelled, replica });
 *   triggers.start(1000);
 */
import { Errors } from '../../core/errors.js';
import { type RetrainPolicy, nextScheduled, retrainPolicy } from '../../core/retrain-policy.js';
import type { LabelledRowSource } from '../../monitor/index.js';
import type { AlertStore, LeaseStore, RetrainPolicyRow, RetrainPolicyStore } from '../../store/index.js';
import type { RetrainPolicyState, Retraining } from './retraining.js';
import type { RetrainTrigger } from './train-challenger.js';

/** The lease whose holder runs the triggers. */
export const RETRAIN_TRIGGERS_LEASE = 'retrain-triggers';
/** Alert rules that watch drift. */
const DRIFT_RULES = new Set(['drift_share', 'feature_drift']);

/** Options of {@link RetrainTriggers}. */
export interface RetrainTriggersOptions {
  readonly retraining: Retraining;
  readonly policies: RetrainPolicyStore;
  /** The monitor's alerts (drift triggers). */
  readonly alerts: AlertStore;
  readonly leases: LeaseStore;
  /** Labelled traffic, for the new-rows trigger; without it that trigger never fires. */
  readonly labelled?: LabelledRowSource | undefined;
  /** This replica's name in the lease. */
  readonly replica: string;
  /** How long the lease lasts without renewal, ms; default 30 s. */
  readonly leaseMs?: number;
  /** The clock, epoch ms. */
  readonly now?: () => number;
  /** A tick that failed (it is tried again on the next). */
  readonly onError?: (error: unknown) => void;
  /** A retraining queued, or a trigger that could not queue one. */
  readonly onTrigger?: (model: string, trigger: RetrainTrigger, outcome: { readonly job?: string; readonly error?: string }) => void;
}

/** Runs retraining policies' triggers on the replica holding their lease. */
export class RetrainTriggers {
  readonly #options: RetrainTriggersOptions;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #closed = false;

  constructor(options: RetrainTriggersOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Ticks every `intervalMs` until closed. */
  start(intervalMs: number): void {
    this.#timer = setInterval(() => void this.tick(), intervalMs);
    this.#timer.unref();
  }

  /** One look at every policy, on the lease holder; a tick under way is shared. */
  tick(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#ticking ??= this.#tick()
      .catch((error: unknown) => this.#options.onError?.(error))
      .finally(() => (this.#ticking = undefined));
    return this.#ticking;
  }

  /** Stops ticking and gives the lease up, so another replica takes over at once. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#ticking;
    await this.#options.leases.release(RETRAIN_TRIGGERS_LEASE, this.#options.replica).catch(() => undefined);
  }

  async #tick(): Promise<void> {
    const { leases, replica, policies } = this.#options;
    const now = this.#now();
    if (!(await leases.acquire(RETRAIN_TRIGGERS_LEASE, replica, this.#options.leaseMs ?? 30_000, now))) return;
    const rows = await policies.list();
    if (rows.length === 0) return;
    const firing = (await this.#options.alerts.listAlerts('firing')).filter((alert) => DRIFT_RULES.has(ruleType(alert.details)));
    for (const row of rows) {
      if (this.#closed) return;
      try {
        await this.#check(row, firing, now);
      } catch (error) {
        this.#options.onError?.(error);
      }
    }
  }

  /** Queues a retraining of the row's model when a trigger is due, and writes what was seen. */
  async #check(row: RetrainPolicyRow, firing: Awaited<ReturnType<AlertStore['listAlerts']>>, now: number): Promise<void> {
    const policy: RetrainPolicy = retrainPolicy(JSON.parse(row.policy));
    const state = JSON.parse(row.state) as RetrainPolicyState;
    const model = row.model;
    const last = Date.parse(state.lastRun ?? row.updated_at);
    const seen = { ...(state.driftAlerts ?? {}) };
    let trigger: RetrainTrigger | undefined;

    if (policy.triggers.onDrift) {
      const alert = firing.find((a) => a.model === model && seen[a.ruleId] !== a.since);
      if (alert) {
        seen[alert.ruleId] = alert.since;
        trigger = { kind: 'drift_alert', detail: `${ruleName(alert.details, alert.ruleId)} firing since ${alert.since}` };
      }
    }
    if (!trigger) {
      const next = nextScheduled(policy, last);
      if (next !== undefined && next <= now) trigger = { kind: 'schedule', detail: policy.triggers.cron !== undefined ? `cron ${policy.triggers.cron}` : `every ${policy.triggers.every}` };
    }
    const labelled = this.#options.labelled;
    if (!trigger && policy.triggers.newLabelledRows !== undefined && labelled) {
      const count = await labelled.countLabelled(model, { from: last, to: now });
      if (count >= policy.triggers.newLabelledRows) trigger = { kind: 'labelled_rows', detail: `${count} new labelled rows since ${new Date(last).toISOString()}` };
    }
    if (!trigger) return;

    let next: RetrainPolicyState;
    try {
      const job = await this.#options.retraining.retrain(model, { trigger, actor: { interface: 'server', actor: 'retrain-trigger' } });
      this.#options.onTrigger?.(model, trigger, { job: job.id });
      // retrain() noted the run on the row; the drift alerts seen are added to that.
      const fresh = await this.#options.policies.get(model);
      if (!fresh) return;
      next = { ...(JSON.parse(fresh.state) as RetrainPolicyState), driftAlerts: seen };
      await this.#options.policies.setState(model, fresh.revision, JSON.stringify(next));
      return;
    } catch (error) {
      // A retraining already running will see the same data; the trigger fires again later.
      if (Errors.RETRAIN_ALREADY_RUNNING.is(error)) return;
      const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'BERTH_SERVER_INTERNAL';
      const message = error instanceof Error ? error.message : String(error);
      this.#options.onTrigger?.(model, trigger, { error: message });
      // Counted as a run, so a failing trigger does not retry on every tick.
      next = { ...state, lastRun: new Date(now).toISOString(), driftAlerts: seen, lastError: { at: new Date(now).toISOString(), trigger: trigger.kind, error: message, code } };
    }
    await this.#options.policies.setState(model, row.revision, JSON.stringify(next));
  }
}

function ruleType(details: string): string {
  try {
    return (JSON.parse(details) as { type?: string }).type ?? '';
  } catch {
    return '';
  }
}

function ruleName(details: string, fallback: string): string {
  try {
    return `drift alert '${(JSON.parse(details) as { name?: string }).name ?? fallback}'`;
  } catch {
    return `drift alert '${fallback}'`;
  }
}
