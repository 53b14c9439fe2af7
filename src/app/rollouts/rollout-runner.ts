/**
 * The rollout runner of one server replica: every running rollout whose check is due is taken
 * under its lease (the monitor's lease store, one lease per model, so exactly one replica steps a
 * rollout at a time; when that replica dies another takes over once the lease lapses) and moved
 * on from what its row says, so a rollout survives any restart.
 *
 * At a check the runner reads the challenger's and the champion's figures since the step began
 * and judges the guards (judgeStep). A breached guard sends every request back to the champion at
 * once, records why and fires an alert; a step that has baked for its time with enough requests
 * and every guard holding moves traffic to the next step; passing the last step points
 * `production` at the challenger and removes the split in one change.
 *
 * Writes are ordered so that an abort made anywhere at any moment wins: a step changes the
 * deployment only if it is still the one the rollout last wrote, and then the row only if no one
 * else wrote it; the end of a rollout is written to its row before traffic moves.
 *
 * @example
 *   const runner = new RolloutRunner({ store, leases, traffic, figures, production, replica, now: Date.now });
 *   runner.start(1000);      // a server: every second
 *   await runner.tick();     // a test: one pass, on its own clock
 */
import { formatDuration } from '../../core/duration.js';
import { formatRolloutStep, type RolloutPlan } from '../../core/rollout-plan.js';
import type { AlertNotification } from '../../monitor/index.js';
import type { AuditActor } from '../../registry/index.js';
import type { LeaseStore, RolloutRow, RolloutStore, RolloutUpdate } from '../../store/index.js';
import { judgeStep } from './judge-step.js';
import type { RolloutFigureSource } from './rollout-figures.js';
import { type GuardVerdict, type RolloutCheck, type RolloutEvent, planOf } from './rollout-record.js';
import { type RolloutTraffic, stepPolicy } from './rollout-traffic.js';

/** Options of {@link RolloutRunner}. */
export interface RolloutRunnerOptions {
  readonly store: RolloutStore;
  readonly leases: LeaseStore;
  readonly traffic: RolloutTraffic;
  readonly figures: RolloutFigureSource;
  /** The version the model's production alias points at now, if any. */
  readonly production: (model: string) => Promise<number | undefined>;
  /** Sends an alert through the alert webhooks (the monitor's); absent: none is sent. */
  readonly notify?: (notification: AlertNotification) => Promise<void>;
  /** This replica's name, as the lease holder. */
  readonly replica: string;
  /** The clock, epoch ms (tests move it). */
  readonly now: () => number;
  /** Told about a rollout that could not be checked, or (rollout undefined) a pass that could not read the running ones; tried again at the next pass. */
  readonly onError?: (error: unknown, rollout: RolloutRow | undefined) => void;
  /** Told about what a rollout did, for the log. */
  readonly onEvent?: (event: RolloutEvent, rollout: RolloutRow) => void;
}

/** Steps rollouts on this replica. */
export class RolloutRunner {
  readonly #options: RolloutRunnerOptions;
  readonly #leases = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #closed = false;

  constructor(options: RolloutRunnerOptions) {
    this.#options = options;
  }

  /** Looks for due checks every `pollMs` (the timer never keeps the process alive). */
  start(pollMs: number): void {
    this.#timer = setInterval(() => {
      if (this.#ticking === undefined) void this.tick();
    }, pollMs);
    this.#timer.unref();
  }

  /** One pass over the running rollouts: each one due is checked if this replica gets its lease. Concurrent calls share one pass. */
  tick(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#ticking ??= this.#pass().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  /** Stops the timer, waits for a pass in progress and gives up the leases, so another replica takes over at once. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#ticking?.catch(() => undefined);
    await Promise.allSettled([...this.#leases].map((name) => this.#options.leases.release(name, this.#options.replica)));
  }

  async #pass(): Promise<void> {
    const { store, onError } = this.#options;
    let running: RolloutRow[];
    try {
      running = await store.running();
    } catch (error) {
      // The timer does not await a pass: a database that cannot be read now must not reject it.
      onError?.(error, undefined);
      return;
    }
    for (const row of running) {
      if (this.#closed) return;
      try {
        await this.#advance(row);
      } catch (error) {
        onError?.(error, row);
      }
    }
  }

  async #advance(seen: RolloutRow): Promise<void> {
    const { store, leases, replica } = this.#options;
    const now = this.#options.now();
    if (Date.parse(seen.next_check_at) > now) return;
    const plan = planOf(seen);
    const lease = `rollout:${seen.model}`;
    if (!(await leases.acquire(lease, replica, plan.intervalMs * 3, now))) return;
    this.#leases.add(lease);
    const row = await store.get(seen.id);
    if (!row || row.state !== 'running') return;
    const events: RolloutEvent[] = JSON.parse(row.events) as RolloutEvent[];
    if (row.holder !== null && row.holder !== replica) {
      events.push(this.#event(row, now, 'takeover', `replica ${replica} took the rollout over from ${row.holder}`));
    }
    const step = { row, plan, now, events };
    if (row.step < 0) await this.#begin(step);
    else if (row.step >= plan.steps.length) await this.#promote(step);
    else await this.#check(step);
  }

  /** Moves traffic to the first step; a challenger that cannot be loaded fails the rollout with traffic untouched. */
  async #begin({ row, plan, now, events }: Step): Promise<void> {
    const { traffic } = this.#options;
    const first = plan.steps[0]!;
    if ((await traffic.current(row.model)) !== null) {
      await this.#finish(row, now, events, 'failed', 'the model got a deployment (a traffic split or a shadow) before the rollout began; traffic was left as it is', false);
      return;
    }
    let seq: number | undefined;
    try {
      seq = await traffic.set(row.model, stepPolicy(first, row.champion, row.challenger), 0, this.#actor(row));
    } catch (error) {
      const reason = `challenger v${row.challenger} could not take traffic, so none moved: ${(error instanceof Error ? error.message : String(error)).replace(/\.$/, '')}`;
      await this.#finish(row, now, events, 'failed', reason, false);
      return;
    }
    if (seq === undefined) {
      await this.#finish(row, now, events, 'failed', 'the model got a deployment before the rollout began; traffic was left as it is', false);
      return;
    }
    events.push(this.#event(row, now, 'step', `${describeStep(first, row)}`, 0));
    await this.#write(row, { step: 0, step_started_at: iso(now), next_check_at: iso(now + plan.intervalMs), deployment_seq: seq, events: JSON.stringify(events), updated_at: iso(now) });
  }

  /** Judges the step: back to the champion on a breach, on to the next step once it has passed, else wait. */
  async #check({ row, plan, now, events }: Step): Promise<void> {
    const { traffic, figures, production } = this.#options;
    const current = await production(row.model);
    if (current !== row.champion) {
      const moved = current === undefined ? 'production was removed' : `production was moved to v${current}`;
      await this.#finish(row, now, events, 'failed', `${moved} during the rollout; the rollout stopped and its split was removed`, true);
      return;
    }
    const deployment = await traffic.current(row.model);
    if ((deployment?.seq ?? null) !== row.deployment_seq) {
      await this.#finish(row, now, events, 'failed', "the model's deployment was changed outside the rollout; the rollout stopped and left traffic as it is", false);
      return;
    }
    const step = plan.steps[row.step]!;
    const from = Date.parse(row.step_started_at ?? row.created_at);
    const [challenger, champion, shadow] = await Promise.all([
      figures.version(row.model, row.challenger, from),
      figures.version(row.model, row.champion, from),
      step.kind === 'shadow' ? figures.shadow(row.model, row.challenger, from) : Promise.resolve(undefined),
    ]);
    const judged = judgeStep(plan, { step, challenger, champion, shadow });
    const baked = now - from >= plan.bakeMs;
    const waiting = !judged.enough
      ? `${judged.challenger.requests} of ${plan.minRequests} requests`
      : !baked
        ? `${formatDuration(Math.max(1, Math.ceil((from + plan.bakeMs - now) / 1000)) * 1000)} of bake time left`
        : null;
    const check: RolloutCheck = {
      at: iso(now),
      step: row.step,
      from: iso(from),
      challenger: judged.challenger,
      champion: judged.champion,
      shadow: shadow ? { compared: shadow.compared, disagreement: shadow.disagreement } : null,
      guards: judged.guards,
      waiting: judged.breached ? null : waiting,
    };
    const lastCheck = JSON.stringify(check);

    if (judged.breached) {
      const reason = `guard ${judged.breached.guard} breached at step ${formatRolloutStep(step)}: ${describeBreach(judged.breached, judged.challenger.requests)}; traffic went back to the champion v${row.champion}`;
      await this.#finish(row, now, events, 'rolled_back', reason, true, { last_check: lastCheck }, judged.breached);
      return;
    }
    if (waiting !== null) {
      await this.#write(row, { last_check: lastCheck, next_check_at: iso(now + plan.intervalMs), events: JSON.stringify(events), updated_at: iso(now) });
      return;
    }
    const next = row.step + 1;
    if (next >= plan.steps.length) {
      events.push(this.#event(row, now, 'step', `step ${formatRolloutStep(step)} passed; promoting v${row.challenger} to production`));
      const written = await this.#write(row, { step: next, last_check: lastCheck, next_check_at: iso(now), events: JSON.stringify(events), updated_at: iso(now) });
      if (written) await this.#promote({ row: { ...row, ...written }, plan, now, events });
      return;
    }
    const nextStep = plan.steps[next]!;
    const seq = await traffic.set(row.model, stepPolicy(nextStep, row.champion, row.challenger), row.deployment_seq ?? 0, this.#actor(row));
    if (seq === undefined) return; // Changed under us (an abort): the next pass sees why.
    events.push(this.#event(row, now, 'step', `step ${formatRolloutStep(step)} passed; ${describeStep(nextStep, row)}`, next));
    await this.#write(row, {
      step: next,
      step_started_at: iso(now),
      next_check_at: iso(now + plan.intervalMs),
      deployment_seq: seq,
      last_check: lastCheck,
      events: JSON.stringify(events),
      updated_at: iso(now),
    });
  }

  /** Points production at the challenger and removes the split in one change, then records success. */
  async #promote({ row, now, events }: Step): Promise<void> {
    const { traffic, production } = this.#options;
    // A replica that died after recording the promotion but before making it makes it here.
    if ((await production(row.model)) !== row.challenger) await traffic.clear(row.model, this.#actor(row), row.challenger);
    events.push(this.#event(row, now, 'promoted', `v${row.challenger} is production; the split was removed`));
    await this.#write(row, { state: 'succeeded', finished_at: iso(now), events: JSON.stringify(events), updated_at: iso(now) });
  }

  /**
   * Ends a rollout: the row first (so no step can follow), then traffic back to the champion when
   * it had moved, and an alert for a breach or a failure.
   */
  async #finish(
    row: RolloutRow,
    now: number,
    events: RolloutEvent[],
    state: 'rolled_back' | 'failed',
    reason: string,
    restore: boolean,
    extra: RolloutUpdate = {},
    guard?: GuardVerdict,
  ): Promise<void> {
    events.push(this.#event(row, now, state, reason));
    const written = await this.#write(row, { ...extra, state, reason, finished_at: iso(now), events: JSON.stringify(events), updated_at: iso(now) });
    if (!written) return;
    if (restore && row.step >= 0) await this.#options.traffic.clear(row.model, this.#actor(row));
    await this.#options.notify?.(notification(row, state, reason, now, guard));
  }

  /** Writes the row if no one else did since it was read; the changes written, or undefined. */
  async #write(row: RolloutRow, changes: RolloutUpdate): Promise<RolloutUpdate | undefined> {
    const written = await this.#options.store.update(row.id, row.revision, { ...changes, holder: this.#options.replica });
    if (!written) return undefined;
    for (const event of JSON.parse(changes.events ?? '[]').slice(JSON.parse(row.events).length) as RolloutEvent[]) this.#options.onEvent?.(event, row);
    return { ...changes, revision: row.revision + 1 } as RolloutUpdate;
  }

  #event(row: RolloutRow, now: number, kind: RolloutEvent['kind'], message: string, step = row.step): RolloutEvent {
    return { at: iso(now), kind, step, message, replica: this.#options.replica };
  }

  #actor(row: RolloutRow): AuditActor {
    return { interface: 'rollout', actor: `rollout ${row.id} on ${this.#options.replica}` };
  }
}

/** What a check works on. */
interface Step {
  readonly row: RolloutRow;
  readonly plan: RolloutPlan;
  readonly now: number;
  readonly events: RolloutEvent[];
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function describeStep(step: RolloutPlan['steps'][number], row: RolloutRow): string {
  return step.kind === 'shadow'
    ? `shadow: v${row.challenger} sees a copy of every request, callers get v${row.champion}'s answers`
    : step.percent >= 100
      ? `100%: v${row.challenger} takes every request`
      : `${step.percent}%: v${row.challenger} takes ${step.percent}% of requests, v${row.champion} the rest`;
}

function describeBreach(verdict: GuardVerdict, requests: number): string {
  const value = verdict.value === null ? 'unknown' : round(verdict.value);
  const limit = verdict.limit === null ? '' : ` (limit ${round(verdict.limit)}${verdict.champion === null ? '' : `, champion ${round(verdict.champion)}`})`;
  return `it was ${value}${limit} over ${requests} requests`;
}

function round(value: number): string {
  return Number(value.toPrecision(4)).toString();
}

function notification(row: RolloutRow, state: 'rolled_back' | 'failed', reason: string, now: number, guard?: GuardVerdict): AlertNotification {
  return {
    type: 'berth.alert',
    state: 'firing',
    rule: { id: `rollout-${row.id}`, name: `Rollout of ${row.model} to v${row.challenger}`, type: 'rollout_guard' },
    model: row.model,
    version: String(row.challenger),
    value: guard?.value ?? Number.NaN,
    threshold: guard?.limit ?? Number.NaN,
    since: iso(now),
    message: `Rollout of ${row.model} from v${row.champion} to v${row.challenger} ${state === 'rolled_back' ? 'rolled back' : 'failed'}: ${reason}`,
    rollout: { id: row.id, champion: row.champion, challenger: row.challenger, state, guard: guard?.guard ?? null, reason },
  };
}
