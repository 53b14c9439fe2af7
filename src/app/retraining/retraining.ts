/**
 * Retraining as commands: retrain a model now, set and read its policy, list its retraining jobs.
 * A retraining job is a training job row (one per model at a time, run by whichever replica has
 * a free trainer and labelled traffic to read); this class also gives the jobs what retraining
 * adds to them (RetrainingHooks): gathering the data before the worker starts, and registering,
 * judging and promoting the challenger after.
 *
 * @example
 *   const retraining = new Retraining({ registry, labelled, policies: new RetrainPolicyStore(db), rollouts });
 *   const jobs = new TrainingJobs({ ..., retraining });
 *   retraining.attach(jobs);
 *   const job = await retraining.retrain('loans', { since: '7d', promote: 'rollout' });
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatDuration, parseDuration } from '../../core/duration.js';
import { Errors } from '../../core/errors.js';
import type { FeatureSchema } from '../../core/feature-schema.js';
import { type Promotion, type RetrainPolicy, retrainPolicy } from '../../core/retrain-policy.js';
import type { RolloutPlanInput } from '../../core/rollout-plan.js';
import type { LabelledRowSource } from '../../monitor/index.js';
import type { AuditActor, Registry } from '../../registry/index.js';
import type { RetrainPolicyRow, RetrainPolicyStore } from '../../store/index.js';
import type { Rollouts } from '../rollouts/rollouts.js';
import type { RetrainingHooks, TrainingJob, TrainingJobs } from '../training-jobs.js';
import { labelledTable } from './labelled-table.js';
import type { RetrainJobSpec, RetrainOutcome } from './retrain-job.js';
import type { ChallengerInput, ChallengerReport, RetrainTrigger } from './train-challenger.js';

/** A model's policy as the API shows it. */
export interface RetrainPolicyRecord {
  readonly model: string;
  readonly policy: RetrainPolicy;
  /** What its triggers have seen. */
  readonly state: RetrainPolicyState;
  /** ISO 8601. */
  readonly updated: string;
}

/** What a policy's triggers have seen (ISO 8601 times). */
export interface RetrainPolicyState {
  /** When the last retraining was queued (by any trigger or by hand), and its job. */
  readonly lastRun?: string;
  readonly lastJob?: string;
  /** The `since` of the drift alert last acted on, by rule id. */
  readonly driftAlerts?: Readonly<Record<string, string>>;
  /** The last trigger that could not queue a job, and why. */
  readonly lastError?: { readonly at: string; readonly trigger: string; readonly error: string; readonly code: string };
}

/** Options of {@link Retraining}. */
export interface RetrainingOptions {
  readonly registry: Registry;
  /**
   * Where labelled traffic comes from (the payload log), or how to find it once it exists (a
   * server's monitor is built after its training jobs); without it retraining jobs fail with
   * BERTH_RETRAIN_NO_LABELLED_DATA.
   */
  readonly labelled?: LabelledRowSource | (() => LabelledRowSource | undefined) | undefined;
  readonly policies: RetrainPolicyStore;
  /**
   * Starts rollouts for `promote: rollout` (a server with monitoring, whose rollouts exist once
   * its registry follower runs); without them a better challenger waits for a person.
   */
  readonly rollouts?: (() => Rollouts | undefined) | undefined;
  /** Points production at a version for `promote: auto` (RegistryChanges in a server, so this replica follows at once). */
  readonly setProduction?: (model: string, version: number, actor: AuditActor) => Promise<void>;
  /** The clock, epoch ms. */
  readonly now?: () => number;
}

/** Options of {@link Retraining.retrain}. */
export interface RetrainOptions {
  /** The window of labelled traffic (`7d`); default the policy's. */
  readonly since?: string | undefined;
  /** What to do with a better challenger; default the policy's. */
  readonly promote?: Promotion | undefined;
  readonly trigger?: RetrainTrigger;
  readonly actor?: AuditActor | undefined;
}

/** Retraining's commands, and the hooks its jobs run. */
export class Retraining implements RetrainingHooks {
  readonly #options: RetrainingOptions;
  readonly #now: () => number;
  #jobs: TrainingJobs | undefined;

  constructor(options: RetrainingOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The training jobs retraining jobs are queued on (constructed with this as their hooks). */
  attach(jobs: TrainingJobs): void {
    this.#jobs = jobs;
  }

  /**
   * Queues a retraining of `model` from its champion (the production version, else the latest).
   * Throws the registry's not-found errors, BERTH_RETRAIN_NO_CHAMPION (no version trained by
   * Berth), BERTH_RETRAIN_POLICY_INVALID for a bad window or promotion,
   * BERTH_RETRAIN_ALREADY_RUNNING and BERTH_TRAINING_QUEUE_FULL. Everything else (no kept data,
   * too few rows…) fails the job, with its code.
   */
  async retrain(model: string, options: RetrainOptions = {}): Promise<TrainingJob> {
    const jobs = this.#requireJobs();
    const { registry } = this.#options;
    const record = await registry.getModel(model);
    const champion = record.aliases.production ?? record.latestVersion;
    if (champion === undefined || champion === null) throw Errors.RETRAIN_NO_CHAMPION.create(model, 'it has no version');
    const lineage = (await registry.getVersion(model, champion)).manifest.lineage as { target?: unknown } | undefined;
    if (!lineage || typeof lineage.target !== 'string') throw Errors.RETRAIN_NO_CHAMPION.create(model, `version ${champion} has no training lineage (it was not trained by berth train)`);
    const policy = (await this.#policyRow(model))?.policy ?? retrainPolicy({});
    const since = options.since ?? policy.since;
    const sinceMs = parseDuration(since);
    if (sinceMs === undefined) throw Errors.RETRAIN_POLICY_INVALID.create('since', `'${since}' is not a duration such as '7d'`);
    const promote = options.promote ?? policy.promote;
    if (!['manual', 'rollout', 'auto'].includes(promote)) throw Errors.RETRAIN_POLICY_INVALID.create('promote', `'${promote}' is not manual, rollout or auto`);
    const now = this.#now();
    const actor = options.actor ?? { interface: 'sdk' };
    const spec: RetrainJobSpec = {
      model,
      champion,
      trigger: options.trigger ?? { kind: 'manual' },
      since,
      window: { from: new Date(now - sinceMs).toISOString(), to: new Date(now).toISOString() },
      promote,
      policy: {
        margin: policy.margin,
        forgetting: policy.forgetting,
        minRows: policy.minRows,
        maxRows: policy.maxRows,
        holdout: policy.holdout,
        seed: policy.seed,
        ...(policy.algorithm ? { algorithm: policy.algorithm } : {}),
        ...(policy.rollout ? { rollout: policy.rollout } : {}),
      },
      actor: { interface: actor.interface, ...(actor.actor ? { actor: actor.actor } : {}) },
    };
    const job = await jobs.submitRetraining(spec, lineage.target);
    await this.#recordRun(model, job);
    return job;
  }

  /** The model's retraining jobs, newest first. Throws BERTH_REGISTRY_MODEL_NOT_FOUND. */
  async jobs(model: string): Promise<TrainingJob[]> {
    await this.#options.registry.getModel(model);
    return (await this.#requireJobs().list()).filter((job) => job.retrain?.model === model);
  }

  /** The model's policy, or null when it has none. Throws BERTH_REGISTRY_MODEL_NOT_FOUND. */
  async getPolicy(model: string): Promise<RetrainPolicyRecord | null> {
    await this.#options.registry.getModel(model);
    const row = await this.#options.policies.get(model);
    return row ? toRecord(row) : null;
  }

  /** Every model's policy. */
  async listPolicies(): Promise<RetrainPolicyRecord[]> {
    return (await this.#options.policies.list()).map(toRecord);
  }

  /** Sets the model's policy. Throws BERTH_RETRAIN_POLICY_INVALID and BERTH_REGISTRY_MODEL_NOT_FOUND. */
  async setPolicy(model: string, input: unknown): Promise<RetrainPolicyRecord> {
    const policy = retrainPolicy(input);
    await this.#options.registry.getModel(model);
    // A new policy starts counting from now: rows and alerts before it do not trigger it.
    const state: RetrainPolicyState = { lastRun: new Date(this.#now()).toISOString() };
    return toRecord(await this.#options.policies.put(model, JSON.stringify(policy), JSON.stringify(state), new Date(this.#now()).toISOString()));
  }

  /** Removes the model's policy; false when it had none. */
  async removePolicy(model: string): Promise<boolean> {
    return this.#options.policies.remove(model);
  }

  // ---------------------------------------------------------------- the hooks jobs run

  /** Gathers a retraining job's data into `dir` (see RetrainingHooks). */
  async prepare(job: TrainingJob, dir: string): Promise<Omit<ChallengerInput, 'outDir' | 'onProgress'>> {
    const spec = job.retrain!;
    const { registry } = this.#options;
    const labelled = typeof this.#options.labelled === 'function' ? this.#options.labelled() : this.#options.labelled;
    const { model, champion } = spec;
    const kept = await registry.keptTrainingData(model, champion);
    if (!kept) throw Errors.RETRAIN_DATA_NOT_KEPT.create(model, champion);
    if (!labelled) throw Errors.RETRAIN_NO_LABELLED_DATA.create(model);
    const version = await registry.getVersion(model, champion);
    const lineage = version.manifest.lineage as { target?: string; task?: string; data?: { columns?: string[] } } | undefined;
    const schema = version.manifest.schema as FeatureSchema | undefined;
    const header = lineage?.data?.columns;
    if (!lineage || typeof lineage.target !== 'string' || !schema || !Array.isArray(header)) {
      throw Errors.RETRAIN_NO_CHAMPION.create(model, `version ${champion} has no training lineage (it was not trained by berth train)`);
    }
    const originalCsv = join(dir, 'original.csv');
    await this.#blob(model, 'read the champion\'s training data', () => registry.blobs.copyTo(kept.digest, originalCsv));
    // A champion validated on a file is checked for forgetting on that file's rows, when it was
    // kept; so is a champion retrained from one, which kept the file by the same digest.
    const checkedOnFile =
      (lineage as { validationSource?: unknown }).validationSource !== undefined ||
      (lineage as { retraining?: { original?: { validationFile?: unknown } } }).retraining?.original?.validationFile !== undefined;
    const keptValidation = checkedOnFile ? await registry.keptValidationData(model, champion) : undefined;
    const validationCsv = keptValidation ? join(dir, 'validation.csv') : undefined;
    if (keptValidation) await this.#blob(model, 'read the champion\'s validation file', () => registry.blobs.copyTo(keptValidation.digest, validationCsv!));
    const { bundle } = await this.#blob(model, 'read the champion\'s bundle', () => registry.openBundle(`${model}:${champion}`));
    const from = Date.parse(spec.window.from);
    const to = Date.parse(spec.window.to);
    const rows = await labelled.labelledRows(model, { from, to }, spec.policy.maxRows);
    const table = labelledTable(rows, {
      model,
      version: champion,
      header,
      target: lineage.target,
      task: lineage.task === 'regression' ? 'regression' : 'classification',
      classes: (version.manifest.pipeline as { output?: { labels?: string[] } } | undefined)?.output?.labels,
      schema,
      minRows: spec.policy.minRows,
      window: `the last ${formatDuration(to - from)}`,
    });
    const recentCsv = join(dir, 'recent.csv');
    await writeFile(recentCsv, table.csv);
    return {
      model,
      parent: champion,
      championDir: bundle.dir,
      originalCsv,
      originalDigest: kept.digest,
      ...(keptValidation ? { validationCsv, validationDigest: keptValidation.digest } : {}),
      recentCsv,
      keptCsv: join(dir, 'kept.csv'),
      trigger: spec.trigger,
      window: { from: spec.window.from, to: spec.window.to, since: spec.since },
      holdout: spec.policy.holdout,
      minRows: spec.policy.minRows,
      seed: spec.policy.seed,
      margin: spec.policy.margin,
      forgetting: spec.policy.forgetting,
      ...(spec.policy.algorithm ? { algorithm: spec.policy.algorithm } : {}),
    };
  }

  /** Registers the challenger, keeps its data, and applies the promotion policy (see RetrainingHooks). */
  async complete(job: TrainingJob, bundleDir: string, input: Omit<ChallengerInput, 'outDir' | 'onProgress'>, report: ChallengerReport): Promise<RetrainOutcome> {
    const spec = job.retrain!;
    const { registry } = this.#options;
    const { model } = spec;
    const actor: AuditActor = { interface: spec.actor.interface, actor: spec.actor.actor ?? 'retraining' };
    // The data first: a blob store that is full or unreachable fails the job before any version exists.
    const blob = await this.#blob(model, 'store the challenger\'s training data', () => registry.blobs.put(input.keptCsv));
    const registered = await this.#blob(model, 'store the challenger', () =>
      registry.register(bundleDir, { name: model, actor, source: `retrain:${job.id} (${model}:${spec.champion}, ${spec.trigger.kind})` }),
    );
    const challenger = registered.version.version;
    await registry.keepTrainingData(model, challenger, { digest: blob.digest, rows: report.kept.rows, source: `retrain:${job.id}` });
    // The validation file it was checked on is the chain's original validation rows: kept by digest, its retraining checks on it too.
    if (report.validation) {
      await registry.keepTrainingData(model, challenger, { digest: report.validation.digest, rows: report.validation.rows, role: 'validation', source: `retrain:${job.id} (the validation file of ${model}:${spec.champion})` });
    }
    const base = { challenger, parent: spec.champion, evaluation: report.evaluation, kept: { digest: blob.digest, rows: report.kept.rows } };
    if (!report.evaluation.better) {
      return { ...base, decision: 'candidate', reason: `registered as a candidate, nothing moved: ${report.evaluation.reason}` };
    }
    const production = (await registry.getModel(model)).aliases.production;
    if (spec.promote === 'manual') {
      return { ...base, decision: 'registered', reason: `better, waiting for a person (promote: manual): ${report.evaluation.reason}` };
    }
    if (production !== spec.champion) {
      return {
        ...base,
        decision: 'registered',
        reason: `better, but production is ${production === undefined ? 'unset' : `v${production}`}, not the champion v${spec.champion}, so nothing moved: ${report.evaluation.reason}`,
      };
    }
    if (spec.promote === 'rollout') {
      const rollouts = this.#options.rollouts?.();
      if (!rollouts) return { ...base, decision: 'registered', reason: `better, but rollouts need a server with monitoring; start one with berth rollout ${model} ${challenger}` };
      try {
        const rollout = await rollouts.start(model, challenger, (spec.policy.rollout ?? {}) as RolloutPlanInput, actor);
        return { ...base, decision: 'rollout', rollout: rollout.id, reason: `better, rollout ${rollout.id} started: ${report.evaluation.reason}` };
      } catch (error) {
        return { ...base, decision: 'registered', reason: `better, but the rollout could not start (${error instanceof Error ? error.message : String(error)})` };
      }
    }
    const setProduction = this.#options.setProduction ?? (async (m: string, v: number, a: AuditActor) => void (await registry.setAlias(m, 'production', v, { actor: a })));
    await setProduction(model, challenger, actor);
    return { ...base, decision: 'promoted', reason: `better, production now points at v${challenger}: ${report.evaluation.reason}` };
  }

  // ---------------------------------------------------------------- internals

  async #policyRow(model: string): Promise<RetrainPolicyRecord | undefined> {
    const row = await this.#options.policies.get(model);
    return row ? toRecord(row) : undefined;
  }

  /** Notes on the model's policy (when it has one) that a retraining was queued, so interval triggers count from it. */
  async #recordRun(model: string, job: TrainingJob): Promise<void> {
    const row = await this.#options.policies.get(model);
    if (!row) return;
    const state = { ...(JSON.parse(row.state) as RetrainPolicyState), lastRun: job.created, lastJob: job.id };
    await this.#options.policies.setState(model, row.revision, JSON.stringify(state));
  }

  /** Runs blob store work, turning its failures into BERTH_RETRAIN_BLOB_STORE_FAILED. */
  async #blob<T>(model: string, what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('BERTH_') && !error.code.startsWith('BERTH_STORE_')) throw error;
      throw Errors.RETRAIN_BLOB_STORE_FAILED.create(model, what, error instanceof Error ? error.message : String(error), { cause: error });
    }
  }

  #requireJobs(): TrainingJobs {
    if (!this.#jobs) throw new Error('Retraining.attach(jobs) was not called');
    return this.#jobs;
  }
}

/** A policy row as the API shows it. */
function toRecord(row: RetrainPolicyRow): RetrainPolicyRecord {
  return { model: row.model, policy: retrainPolicy(JSON.parse(row.policy)), state: JSON.parse(row.state) as RetrainPolicyState, updated: row.updated_at };
}
