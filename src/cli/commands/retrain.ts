/**
 * `berth retrain <model> --now`, `berth retrain <model> --policy …` and `berth retrain <model>`.
 * They read and write the registry's database, which every server follows: a retraining queued
 * here is run by whichever replica has a free trainer and the model's labelled traffic (this
 * process too, with --wait, when it can read the payload log).
 */
import { join } from 'node:path';
import type { Config } from '../../core/config.js';
import type { Promotion, RetrainPolicyInput } from '../../core/retrain-policy.js';
import { Retraining, type RetrainPolicyRecord } from '../../app/retraining/retraining.js';
import { type TrainingJob, TrainingJobs } from '../../app/training-jobs.js';
import type { LabelledRowSource } from '../../monitor/index.js';
import type { AuditActor, Registry } from '../../registry/index.js';
import { RetrainPolicyStore } from '../../store/index.js';
import { rolloutsOf } from './rollout.js';
import { cliActor, withRegistry } from '../with-registry.js';

/** What every retrain command needs. */
interface RetrainBase {
  readonly config: Config;
  readonly model: string;
  readonly actor?: AuditActor | undefined;
  /** The labelled traffic this process can read (the payload log), if any. */
  readonly labelled?: ((registry: Registry) => LabelledRowSource | undefined) | undefined;
}

/** Options of `berth retrain <model> --now`. */
export interface RetrainNowOptions extends RetrainBase {
  readonly since?: string | undefined;
  readonly promote?: Promotion | undefined;
  /** Follow the job to its end, telling each change. */
  readonly wait?: ((job: TrainingJob) => void) | undefined;
}

/**
 * Queues a retraining of the model; with `wait`, returns the job once it has finished (trained
 * here when this process can read the labelled traffic, else by a server).
 */
export async function retrainNowCommand(options: RetrainNowOptions): Promise<TrainingJob> {
  return withRegistry(options.config, options.actor, async (registry) => {
    const labelled = options.labelled?.(registry);
    const { retraining, jobs } = retrainingOf(registry, options.config, labelled, options.wait && labelled ? 'retraining' : 'none');
    try {
      const job = await retraining.retrain(options.model, {
        since: options.since,
        promote: options.promote,
        trigger: { kind: 'manual' },
        actor: options.actor ?? cliActor(),
      });
      if (!options.wait) return job;
      const tell = options.wait;
      // The jobs' timers do not hold a process open; this does, until the job has finished.
      const keepAlive = setInterval(() => undefined, 60_000);
      return await new Promise<TrainingJob>((resolve, reject) => {
        let stop: (() => void) | undefined;
        let finished: TrainingJob | undefined;
        jobs
          .subscribe(job.id, (next) => {
            tell(next);
            if (next.state !== 'succeeded' && next.state !== 'failed') return;
            finished = next;
            stop?.();
            resolve(next);
          })
          .then((unsubscribe) => {
            stop = unsubscribe;
            if (finished) unsubscribe();
          }, reject);
      }).finally(() => clearInterval(keepAlive));
    } finally {
      await jobs.close();
    }
  });
}

/** Options of `berth retrain <model> --policy …`. */
export interface RetrainPolicyOptions extends RetrainBase {
  /** The policy to set, or `clear` to remove it. */
  readonly policy: RetrainPolicyInput | 'clear';
}

/** Sets (or clears) the model's retraining policy; returns it (the removed one, or none, for `clear`). */
export async function retrainPolicyCommand(options: RetrainPolicyOptions): Promise<RetrainPolicyRecord | null> {
  return withRegistry(options.config, options.actor, async (registry) => {
    const { retraining, jobs } = retrainingOf(registry, options.config, undefined, 'none');
    try {
      if (options.policy !== 'clear') return await retraining.setPolicy(options.model, options.policy);
      const had = await retraining.getPolicy(options.model);
      await retraining.removePolicy(options.model);
      return had;
    } finally {
      await jobs.close();
    }
  });
}

/** What `berth retrain <model>` shows. */
export interface RetrainStatus {
  readonly model: string;
  readonly policy: RetrainPolicyRecord | null;
  /** Its retraining jobs, newest first. */
  readonly jobs: readonly TrainingJob[];
}

/** The model's retraining policy and jobs. */
export async function retrainStatusCommand(options: RetrainBase): Promise<RetrainStatus> {
  return withRegistry(options.config, options.actor, async (registry) => {
    const { retraining, jobs } = retrainingOf(registry, options.config, undefined, 'none');
    try {
      return { model: options.model, policy: await retraining.getPolicy(options.model), jobs: await retraining.jobs(options.model) };
    } finally {
      await jobs.close();
    }
  });
}

/** Retraining over the registry's database alone; this process trains only what `takes` says. */
function retrainingOf(registry: Registry, config: Config, labelled: LabelledRowSource | undefined, takes: 'retraining' | 'none'): { retraining: Retraining; jobs: TrainingJobs } {
  const retraining = new Retraining({ registry, labelled, policies: new RetrainPolicyStore(registry.store.db), rollouts: () => rolloutsOf(registry) });
  const jobs = new TrainingJobs({
    config: config.training,
    db: registry.store.db,
    blobs: registry.blobs,
    workDir: join(config.store.home, 'training'),
    takes,
    ...(takes === 'retraining' ? { retraining } : {}),
  });
  retraining.attach(jobs);
  return { retraining, jobs };
}
