/**
 * Training jobs: the no-code path of the dashboard. A job is a row in the metadata database with
 * its uploaded CSV and, once trained, its bundle in the blob store, so every replica shows,
 * follows and registers every job. A queued job waits in the database until a replica with a
 * free trainer takes it; that replica trains it in a worker thread of its own (training is
 * CPU-bound; the event loop keeps serving) and renews its lease on the job while it runs. A job
 * whose lease runs out, because its replica died, is marked failed by whichever replica sees it.
 */
import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Kysely } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Config } from '../core/config.js';
import { BerthError, Errors } from '../core/errors.js';
import type { FeatureSchema } from '../core/feature-schema.js';
import { type AuditActor, type RegisterResult, type Registry, validateAliasName, validateModelName } from '../registry/index.js';
import {
  type BlobStore,
  type StoreTables,
  type TrainingJobFile,
  type TrainingJobOutcome,
  type TrainingJobRow,
  TrainingJobStore,
  stillReferenced,
} from '../store/index.js';
import { type AlgorithmChoice, type ClassWeight, MAX_FOLDS, type TrainProgress } from '../train/index.js';
import { modelNameForFile } from './model-name-for-file.js';
import type { ChallengerInput, ChallengerReport } from './retraining/train-challenger.js';
import type { RetrainJobSpec, RetrainOutcome } from './retraining/retrain-job.js';
import type { TrainingSummary } from './train-bundle.js';

/** Where a job is. */
export type TrainingJobState = 'queued' | 'running' | 'succeeded' | 'failed';

/** A training job as the API shows it (plain JSON). */
export interface TrainingJob {
  readonly id: string;
  readonly state: TrainingJobState;
  /** ISO 8601 times. */
  readonly created: string;
  readonly started?: string;
  readonly finished?: string;
  /** The uploaded file's name. */
  readonly file: string;
  readonly target: string;
  /** The model name the bundle suggests (the upload's `name`, else the file's). */
  readonly name: string;
  readonly options: {
    readonly task: string;
    readonly algorithm: string;
    readonly seed?: number;
    readonly classWeight?: ClassWeight;
    readonly strict?: boolean;
    readonly folds?: number;
    readonly keepData?: boolean;
  };
  /** What a retraining job retrains, why and how (absent for a plain training job). */
  readonly retrain?: RetrainJobSpec;
  readonly progress: { readonly stage: TrainProgress['stage'] | 'queued'; readonly fraction: number; readonly message: string };
  readonly result?: {
    readonly task: TrainingSummary['task'];
    readonly algorithm: TrainingSummary['algorithm'];
    readonly method: TrainingSummary['method'];
    readonly metrics: TrainingSummary['metrics'];
    readonly candidates: TrainingSummary['candidates'];
    readonly schema: FeatureSchema;
    readonly rows: number;
    readonly ignoredColumns: TrainingSummary['ignoredColumns'];
    /** A retraining job's challenger: its evaluation against the champion and what was done with it. */
    readonly retrain?: RetrainOutcome;
  };
  readonly error?: { readonly error: string; readonly code: string };
  /** The version this job's bundle was last registered as. */
  readonly registered?: { readonly model: string; readonly version: number };
}

/** What a job is asked to train. */
export interface TrainingRequest {
  /** The uploaded CSV on disk. The jobs own it from now on, and remove it, whatever happens. */
  readonly csv: string;
  /** The name the file was uploaded under, for the job and the bundle's lineage. */
  readonly file: string;
  readonly target: string | undefined;
  readonly task?: string | undefined;
  readonly algorithm?: string | undefined;
  readonly name?: string | undefined;
  readonly seed?: number | undefined;
  /** `none` or `balanced` (classification only); see TrainOptions.classWeight. */
  readonly classWeight?: string | undefined;
  /** Write a strict schema: values training never saw are refused when served. */
  readonly strict?: boolean | undefined;
  /** K-fold cross-validation instead of a held-out split. */
  readonly folds?: number | undefined;
  /** Keep the upload as the registered version's training data; default the config's `training.keepData`. */
  readonly keepData?: boolean | undefined;
}

/**
 * What retraining adds to a job's life (app/retraining/retraining.ts): gathering its data before
 * the worker starts, and registering and promoting the challenger after. Errors they throw fail
 * the job with their code.
 */
export interface RetrainingHooks {
  /** Writes the job's data into `dir` and says what the worker trains on. */
  prepare(job: TrainingJob, dir: string): Promise<Omit<ChallengerInput, 'outDir' | 'onProgress'>>;
  /** Registers the challenger in `bundleDir` and applies the promotion policy. */
  complete(job: TrainingJob, bundleDir: string, input: Omit<ChallengerInput, 'outDir' | 'onProgress'>, report: ChallengerReport): Promise<RetrainOutcome>;
}

/** Options for {@link TrainingJobs}. */
export interface TrainingJobsOptions {
  /** The validated `training` section of the configuration. */
  readonly config: Config['training'];
  /** The metadata database the jobs are rows of (the registry's). */
  readonly db: Kysely<StoreTables>;
  /** The blob store uploads and bundles go to (the registry's). */
  readonly blobs: BlobStore;
  /** A local folder for work in progress; the jobs work in a private folder inside it, which close() removes. */
  readonly workDir: string;
  /** This replica's name in the jobs it runs; default host, process id and a random suffix. */
  readonly replica?: string;
  /** Called when a job fails for a reason that is not the data's (for the server log). */
  readonly onInternalError?: (job: TrainingJob, detail: string) => void;
  /** Called when background work (taking jobs, renewing leases) fails; it is retried on the next tick. */
  readonly onBackgroundError?: (error: unknown) => void;
  /** The clock, for tests. */
  readonly now?: () => Date;
  /** The worker script; default training-worker.js beside this module (run from dist/). */
  readonly workerUrl?: URL;
  /** Runs retraining jobs; without it this replica takes only plain training jobs. */
  readonly retraining?: RetrainingHooks | undefined;
  /**
   * Which queued jobs this process takes: `all` (a server), `retraining` (`berth retrain --wait`,
   * which never takes a dashboard upload it would abandon on exit), or `none` (queues only).
   */
  readonly takes?: 'all' | 'retraining' | 'none';
}

/** What the server sends a training worker (its workerData). */
export interface TrainingWorkerRequest {
  readonly id: string;
  readonly csv: string;
  readonly file: string;
  readonly target: string;
  readonly task?: 'auto' | 'classification' | 'regression';
  readonly algorithm?: AlgorithmChoice;
  readonly seed?: number;
  readonly classWeight?: ClassWeight;
  readonly strict?: boolean;
  readonly folds?: number;
  readonly name: string;
  readonly outDir: string;
  readonly keepData?: boolean;
  /** A retraining job's data and settings (the worker trains a challenger instead). */
  readonly retrain?: Omit<ChallengerInput, 'outDir' | 'onProgress'>;
}

/** What a training worker sends back. */
export type TrainingWorkerMessage =
  | { readonly type: 'progress'; readonly progress: TrainingJob['progress'] }
  | { readonly type: 'succeeded'; readonly result: TrainingSummary; readonly retrain?: ChallengerReport }
  | { readonly type: 'failed'; readonly error: { readonly code: string; readonly message: string }; readonly detail?: string };

/** A job this replica runs. */
interface LocalJob {
  readonly row: TrainingJobRow;
  worker?: Worker;
  /** Set once the outcome is decided (or the lease lost): nothing more is written. */
  settled: boolean;
  /** The newest progress not yet written, and the write under way. */
  pending?: TrainingJob['progress'];
  writing?: Promise<void>;
  /** Finishing the job (storing the bundle, writing the outcome). */
  finishing?: Promise<void>;
  /** Resolves once the job's worker has exited and its folder is removed. */
  done?: Promise<void>;
}

const TASKS = ['auto', 'classification', 'regression'] as const;
const ALGORITHMS = ['auto', 'linear', 'gbdt'] as const;
const CLASS_WEIGHTS = ['none', 'balanced'] as const;
/** Blobs stored this recently are not removed: another writer may be about to reference them (as the registry does). */
const BLOB_GRACE_MS = 60_000;
/**
 * Times a retraining job whose replica died is queued again before it fails: its data is all in
 * the database and the blob store, so another replica can run it; a job that takes its replica
 * down with it fails rather than loop.
 */
const RETRAIN_RESTARTS = 1;
/** The progress stage of a retraining job registering its challenger: past it, a lost job is not run again. */
const REGISTER_STAGE = 'register';

/**
 * The training jobs of one replica's view of the database. Construct one per server and close it
 * at shutdown. `maxConcurrentJobs` bounds the trainers of this replica; `maxQueuedJobs` bounds the
 * jobs waiting in the database for any replica; `keepJobs` bounds the finished jobs kept across
 * replicas.
 *
 * @example
 *   const jobs = new TrainingJobs({ config: config.training, db: registry.store.db, blobs: registry.blobs, workDir });
 *   const csv = await jobs.uploadPath();           // stream the upload here
 *   const job = await jobs.submit({ csv, file: 'loans.csv', target: 'defaulted' });
 *   await jobs.subscribe(job.id, (j) => console.log(j.state, j.progress.fraction));
 *   // later, on this or any replica: await jobs.register(job.id, registry, { alias: 'staging' });
 */
export class TrainingJobs {
  /** Largest CSV accepted, in bytes. */
  readonly maxUploadBytes: number;
  /** This replica's name in the jobs it runs. */
  readonly replica: string;
  readonly #config: Config['training'];
  readonly #store: TrainingJobStore;
  readonly #db: Kysely<StoreTables>;
  readonly #blobs: BlobStore;
  readonly #workDir: string;
  readonly #onInternalError: TrainingJobsOptions['onInternalError'];
  readonly #onBackgroundError: (error: unknown) => void;
  readonly #now: () => Date;
  readonly #workerUrl: URL;
  readonly #retraining: RetrainingHooks | undefined;
  readonly #takes: 'all' | 'plain' | 'retraining' | 'none';
  readonly #local = new Map<string, LocalJob>();
  readonly #events = new EventEmitter();
  readonly #followers = new Set<NodeJS.Timeout>();
  readonly #timers: NodeJS.Timeout[];
  #pumping: Promise<void> | undefined;
  #pumpLooping = false;
  #pumpAgain = false;
  #leaseTick: Promise<void> | undefined;
  #root: Promise<string> | undefined;
  #closed = false;

  constructor(options: TrainingJobsOptions) {
    this.#config = options.config;
    this.maxUploadBytes = options.config.maxUploadBytes;
    this.#db = options.db;
    this.#store = new TrainingJobStore(options.db);
    this.#blobs = options.blobs;
    this.#workDir = options.workDir;
    this.replica = options.replica ?? `${hostname()}-${process.pid}-${uuidv7().slice(-6)}`;
    this.#onInternalError = options.onInternalError;
    this.#onBackgroundError = options.onBackgroundError ?? (() => undefined);
    this.#now = options.now ?? (() => new Date());
    this.#workerUrl = options.workerUrl ?? new URL('./training-worker.js', import.meta.url);
    this.#retraining = options.retraining;
    const takes = options.takes ?? 'all';
    this.#takes = takes === 'none' ? 'none' : this.#retraining ? takes : takes === 'all' ? 'plain' : 'none';
    // Every open event stream listens on its job; there is no leak to warn about.
    this.#events.setMaxListeners(0);
    this.#timers = [
      // Jobs queued on other replicas (or before a restart) are taken when a trainer is free here.
      setInterval(() => {
        if (this.#local.size < this.#config.maxConcurrentJobs) void this.#pump();
      }, this.#config.pollMs),
      setInterval(() => void this.#tickLeases(), this.#config.leaseMs / 3),
    ];
    for (const timer of this.#timers) timer.unref();
    // A replica coming up finds the jobs of replicas that died while none was watching.
    void this.#tickLeases();
  }

  /**
   * A fresh path for an upload to be written to, then passed to {@link submit}. Throws
   * BERTH_TRAINING_QUEUE_FULL first when no job could be accepted, so a refused upload is not read.
   */
  async uploadPath(): Promise<string> {
    this.#assertOpen();
    await this.#assertRoom();
    const uploads = join(await this.#ensureRoot(), 'uploads');
    await mkdir(uploads, { recursive: true });
    return join(uploads, `${uuidv7()}.csv`);
  }

  /**
   * Queues a job (its upload goes to the blob store) and returns it; it starts at once when this
   * replica has a free trainer. Throws, removing the upload, BERTH_REQUEST_INVALID without a
   * target, BERTH_TRAIN_OPTION_INVALID for an unknown task or algorithm, BERTH_REGISTRY_NAME_INVALID
   * for a bad name, BERTH_TRAINING_UPLOAD_TOO_LARGE or BERTH_TRAINING_QUEUE_FULL.
   */
  async submit(request: TrainingRequest): Promise<TrainingJob> {
    let row: TrainingJobRow;
    let upload: string | undefined;
    try {
      this.#assertOpen();
      row = await this.#newRow(request);
      await this.#assertRoom();
      upload = (await this.#blobs.put(request.csv)).digest;
      row = { ...row, upload_digest: upload };
      await this.#store.insert(row);
    } catch (error) {
      if (upload) await this.#release([upload]).catch(this.#onBackgroundError);
      throw error;
    } finally {
      await rm(request.csv, { force: true });
    }
    await this.#pump();
    return this.get(row.id);
  }

  /**
   * Queues a retraining job (see app/retraining): a row with no upload, its data gathered by the
   * replica that takes it. Throws BERTH_RETRAIN_ALREADY_RUNNING while the model has a retraining
   * job queued or running (one at a time per model, across replicas), BERTH_TRAINING_QUEUE_FULL.
   */
  async submitRetraining(spec: RetrainJobSpec, target: string): Promise<TrainingJob> {
    this.#assertOpen();
    await this.#assertRoom();
    const active = await this.#store.activeRetraining(spec.model);
    if (active) throw Errors.RETRAIN_ALREADY_RUNNING.create(spec.model, active.id);
    const row: TrainingJobRow = {
      id: uuidv7(),
      state: 'queued',
      created_at: this.#iso(),
      started_at: null,
      finished_at: null,
      file: `${spec.model}:${spec.champion}`,
      target,
      name: spec.model,
      options: JSON.stringify({ task: 'auto', algorithm: spec.policy.algorithm ?? 'auto', seed: spec.policy.seed, retrain: spec }),
      progress: JSON.stringify({ stage: 'queued', fraction: 0, message: 'waiting for a free trainer' }),
      result: null,
      error: null,
      registered: null,
      upload_digest: null,
      holder: null,
      heartbeat_at: null,
      revision: 1,
      retrain_model: spec.model,
      keep_data: 0,
    };
    if (!(await this.#store.insertRetraining(row))) {
      const racing = await this.#store.activeRetraining(spec.model);
      throw Errors.RETRAIN_ALREADY_RUNNING.create(spec.model, racing?.id ?? 'unknown');
    }
    await this.#pump();
    return this.get(row.id);
  }

  /** Every job, newest first. */
  async list(): Promise<TrainingJob[]> {
    return (await this.#store.list()).map(toJob);
  }

  /** One job; throws BERTH_TRAINING_JOB_NOT_FOUND. */
  async get(id: string): Promise<TrainingJob> {
    return toJob(await this.#row(id));
  }

  /**
   * Calls `listener` with the job as it is now, then each time it changes (on this replica at
   * once, on another within `training.pollMs`), until the returned function is called. Throws
   * BERTH_TRAINING_JOB_NOT_FOUND.
   */
  async subscribe(id: string, listener: (job: TrainingJob) => void): Promise<() => void> {
    const row = await this.#row(id);
    let seen = row.revision;
    const deliver = (next: TrainingJobRow): void => {
      if (next.revision <= seen) return;
      seen = next.revision;
      listener(toJob(next));
    };
    let reading = false;
    const follower = setInterval(() => {
      // A job trained here announces its changes itself; others are read from the database.
      if (reading || this.#local.has(id)) return;
      reading = true;
      this.#store
        .get(id)
        .then((next) => next && deliver(next))
        .catch(this.#onBackgroundError)
        .finally(() => (reading = false));
    }, this.#config.pollMs);
    follower.unref();
    this.#followers.add(follower);
    this.#events.on(id, deliver);
    listener(toJob(row));
    return () => {
      clearInterval(follower);
      this.#followers.delete(follower);
      this.#events.off(id, deliver);
    };
  }

  /**
   * Registers a succeeded job's bundle as a version of `name` (default the job's name), pointing
   * `alias` at it; works on any replica. Throws BERTH_TRAINING_JOB_NOT_FOUND,
   * BERTH_TRAINING_JOB_NOT_FINISHED, and the registry's errors.
   */
  async register(
    id: string,
    registry: Registry,
    options: { readonly name?: string | undefined; readonly alias?: string | undefined; readonly actor?: AuditActor | undefined } = {},
  ): Promise<RegisterResult> {
    const row = await this.#row(id);
    if (row.state !== 'succeeded') throw Errors.TRAINING_JOB_NOT_FINISHED.create(id, row.state);
    const name = validateModelName(options.name ?? row.name);
    const aliases = options.alias === undefined ? [] : [validateAliasName(options.alias)];
    const files = await this.#store.files(id);
    const dir = await mkdtemp(join(await this.#ensureRoot(), 'register-'));
    let result: RegisterResult;
    try {
      for (const file of files) {
        const target = join(dir, ...file.path.split('/'));
        await mkdir(dirname(target), { recursive: true });
        await this.#blobs.copyTo(file.digest, target);
      }
      result = await registry.register(dir, { name, aliases, actor: options.actor, source: `training:${id} (${row.file})` });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    if (row.keep_data === 1 && row.upload_digest) {
      const rows = row.result ? (JSON.parse(row.result) as { rows: number }).rows : 0;
      await registry.keepTrainingData(result.version.model, result.version.version, { digest: row.upload_digest, rows, source: `training:${id} (${row.file})` });
    }
    // The job may have been dropped meanwhile; its bundle was read before that.
    if (await this.#store.setRegistered(id, JSON.stringify({ model: result.version.model, version: result.version.version }))) await this.#announce(id);
    return result;
  }

  /**
   * Stops this replica's trainers and fails the jobs they ran (queued jobs stay queued for any
   * replica), and removes the working folder.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    // A claim under way finishes first, so that its job is failed below, not left running.
    await this.#pumping;
    await this.#leaseTick;
    const jobs = [...this.#local.values()];
    const error = Errors.SERVER_SHUTTING_DOWN.create();
    await Promise.allSettled(
      jobs.map(async (local) => {
        await local.worker?.terminate();
        if (await this.#handBack(local)) return;
        await this.#settle(local, { state: 'failed', error: { error: 'The server shut down before the job finished. Start it again.', code: error.code } });
      }),
    );
    await Promise.allSettled(jobs.map((local) => local.done));
    for (const follower of this.#followers) clearInterval(follower);
    this.#followers.clear();
    this.#events.removeAllListeners();
    const root = this.#root ? await this.#root.catch(() => undefined) : undefined;
    if (root) await rm(root, { recursive: true, force: true });
  }

  async #newRow(request: TrainingRequest): Promise<TrainingJobRow> {
    const target = request.target?.trim();
    if (!target) throw Errors.REQUEST_INVALID.create("field 'target' is required: the name of the column to predict");
    const task = request.task || 'auto';
    if (!(TASKS as readonly string[]).includes(task)) throw Errors.TRAIN_OPTION_INVALID.create('task', `'${task}' is not auto, classification or regression`);
    const algorithm = request.algorithm || 'auto';
    if (!(ALGORITHMS as readonly string[]).includes(algorithm)) throw Errors.TRAIN_OPTION_INVALID.create('algorithm', `'${algorithm}' is not auto, linear or gbdt`);
    if (request.seed !== undefined && !(Number.isInteger(request.seed) && request.seed >= 0)) {
      throw Errors.TRAIN_OPTION_INVALID.create('seed', 'it must be a non-negative integer');
    }
    const classWeight = request.classWeight || 'none';
    if (!(CLASS_WEIGHTS as readonly string[]).includes(classWeight)) throw Errors.TRAIN_OPTION_INVALID.create('classWeight', `'${classWeight}' is not none or balanced`);
    const folds = request.folds;
    if (folds !== undefined && !(Number.isInteger(folds) && folds >= 2 && folds <= MAX_FOLDS)) {
      throw Errors.TRAIN_OPTION_INVALID.create('folds', `${folds} is not an integer from 2 to ${MAX_FOLDS}`);
    }
    const name = request.name ? validateModelName(request.name) : modelNameForFile(request.file);
    const size = (await stat(request.csv)).size;
    if (size > this.maxUploadBytes) throw Errors.TRAINING_UPLOAD_TOO_LARGE.create(this.maxUploadBytes);
    const keepData = request.keepData ?? this.#config.keepData;
    const options: TrainingJob['options'] = {
      task,
      algorithm,
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
      ...(classWeight !== 'none' ? { classWeight: classWeight as ClassWeight } : {}),
      ...(request.strict ? { strict: true } : {}),
      ...(folds !== undefined ? { folds } : {}),
      ...(keepData ? { keepData: true } : {}),
    };
    return {
      // Time-ordered, so jobs created in the same millisecond still list in the order they came.
      id: uuidv7(),
      state: 'queued',
      created_at: this.#now().toISOString(),
      started_at: null,
      finished_at: null,
      file: request.file,
      target,
      name,
      options: JSON.stringify(options),
      progress: JSON.stringify({ stage: 'queued', fraction: 0, message: 'waiting for a free trainer' }),
      result: null,
      error: null,
      registered: null,
      upload_digest: null,
      holder: null,
      heartbeat_at: null,
      revision: 1,
      keep_data: keepData ? 1 : 0,
    };
  }

  /** Takes queued jobs while this replica has free trainers; one claim loop at a time. */
  #pump(): Promise<void> {
    this.#pumpAgain = true;
    if (!this.#pumpLooping) {
      this.#pumpLooping = true;
      this.#pumping = this.#claimWhileFree().catch(this.#onBackgroundError);
    }
    return this.#pumping!;
  }

  async #claimWhileFree(): Promise<void> {
    try {
      while (this.#pumpAgain) {
        this.#pumpAgain = false;
        while (!this.#closed && this.#takes !== 'none' && this.#local.size < this.#config.maxConcurrentJobs) {
          const row = await this.#store.claimNext(
            this.replica,
            this.#iso(),
            (file) => JSON.stringify({ stage: 'read', fraction: 0, message: `reading ${file}` }),
            this.#takes as 'all' | 'plain' | 'retraining',
          );
          if (!row) break;
          this.#start(row);
        }
      }
    } finally {
      // Cleared in the same step as the last look at #pumpAgain, so no request to pump is missed.
      this.#pumpLooping = false;
    }
  }

  #start(row: TrainingJobRow): void {
    const local: LocalJob = { row, settled: false };
    this.#local.set(row.id, local);
    local.done = this.#train(local).finally(() => {
      this.#local.delete(row.id);
      if (!this.#closed) void this.#evict().then(() => this.#pump());
    });
    void this.#announce(row.id);
  }

  async #train(local: LocalJob): Promise<void> {
    const { row } = local;
    let dir: string | undefined;
    try {
      dir = join(await this.#ensureRoot(), 'jobs', row.id);
      await mkdir(dir, { recursive: true });
      const options = JSON.parse(row.options) as TrainingJob['options'] & { retrain?: RetrainJobSpec };
      if (options.retrain) {
        if (!this.#retraining) throw new Error('this replica does not run retraining jobs');
        let retrain: Omit<ChallengerInput, 'outDir' | 'onProgress'>;
        try {
          retrain = await this.#retraining.prepare(toJob(row), dir);
        } catch (error) {
          if (!(error instanceof BerthError)) throw error;
          await this.#settle(local, { state: 'failed', error: { error: error.message, code: error.code } });
          return;
        }
        if (local.settled) return;
        await this.#runWorker(local, { id: row.id, csv: retrain.recentCsv, file: row.file, target: row.target, name: row.name, outDir: join(dir, 'bundle'), retrain });
        await local.finishing;
        return;
      }
      const csv = join(dir, 'upload.csv');
      await this.#blobs.copyTo(row.upload_digest!, csv);
      if (local.settled) return;
      const request: TrainingWorkerRequest = {
        id: row.id,
        csv,
        file: row.file,
        target: row.target,
        task: options.task as TrainingWorkerRequest['task'],
        algorithm: options.algorithm as AlgorithmChoice,
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(options.classWeight !== undefined ? { classWeight: options.classWeight } : {}),
        ...(options.strict ? { strict: true } : {}),
        ...(options.folds !== undefined ? { folds: options.folds } : {}),
        name: row.name,
        outDir: join(dir, 'bundle'),
        ...(options.keepData ? { keepData: true } : {}),
      };
      await this.#runWorker(local, request);
      await local.finishing;
    } catch (error) {
      await this.#failInternally(local, error instanceof Error ? error.message : String(error));
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  }

  /** Runs the worker until it exits; its messages and its death settle the job. */
  #runWorker(local: LocalJob, request: TrainingWorkerRequest): Promise<void> {
    const worker = new Worker(this.#workerUrl, {
      workerData: request,
      // Past its heap limit the worker alone dies (ERR_WORKER_OUT_OF_MEMORY), not the server.
      resourceLimits: { maxOldGenerationSizeMb: this.#config.maxMemoryMb },
    });
    local.worker = worker;
    // A job past its time limit is stopped; 'exit' then resolves the run, and the job is already settled.
    const timeout = setTimeout(() => {
      if (local.finishing || local.settled) return;
      const error = Errors.TRAINING_TIMEOUT.create(local.row.id, this.#config.maxJobMs);
      local.finishing = this.#settle(local, { state: 'failed', error: { error: error.message, code: error.code } }).then(() => undefined);
      void worker.terminate();
    }, this.#config.maxJobMs);
    timeout.unref();
    return new Promise((resolve) => {
      worker.on('message', (message: TrainingWorkerMessage) => {
        if (message.type === 'progress') {
          this.#progress(local, message.progress);
        } else if (message.type === 'succeeded') {
          local.finishing ??=
            request.retrain && message.retrain
              ? this.#retrained(local, request.outDir, request.retrain, message.result, message.retrain)
              : this.#succeed(local, request.outDir, message.result);
        } else {
          local.finishing ??= this.#settle(local, { state: 'failed', error: { error: message.error.message, code: message.error.code } }).then(() => {
            if (message.error.code === Errors.TRAINING_FAILED.code) this.#internalError(local, message.detail ?? message.error.message);
          });
        }
      });
      // A worker that dies without a word (out of memory, a crash) fails its job; the server carries on.
      const died = (reason: string): void => {
        if (local.finishing || this.#closed) return;
        local.finishing = this.#failInternally(local, reason);
      };
      worker.on('error', (error: Error) => died(error.message));
      worker.on('exit', (code) => {
        clearTimeout(timeout);
        died(`the training worker exited with code ${code}`);
        local.worker = undefined;
        resolve();
      });
    });
  }

  /** Stores the bundle the worker wrote in the blob store and marks the job succeeded. */
  async #succeed(local: LocalJob, outDir: string, summary: TrainingSummary): Promise<void> {
    let files: TrainingJobFile[];
    try {
      files = await this.#storeBundle(outDir);
    } catch (error) {
      await this.#failInternally(local, `its bundle could not be stored: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const { target: _target, ...result } = summary;
    const stored = await this.#settle(local, { state: 'succeeded', result, progress: { stage: 'done', fraction: 1, message: `trained ${result.method}` } }, files);
    // Another replica declared this one dead meanwhile: the bundle belongs to no job.
    if (!stored) await this.#release(files.map((f) => f.digest));
  }

  /**
   * A retraining job's worker finished: the challenger is registered and the promotion policy
   * applied (the hooks' job), then the job succeeds with the outcome. Its bundle lives on as the
   * registered version, so the job keeps no files of its own.
   */
  async #retrained(local: LocalJob, outDir: string, input: Omit<ChallengerInput, 'outDir' | 'onProgress'>, summary: TrainingSummary, report: ChallengerReport): Promise<void> {
    let outcome: RetrainOutcome;
    try {
      // Marked first, so a replica that finds this job's lease stale never runs it again (its challenger may be registered).
      local.pending = undefined;
      await local.writing;
      if (!(await this.#store.progress(local.row.id, this.replica, JSON.stringify({ stage: REGISTER_STAGE, fraction: 0.98, message: 'registering the challenger' }), this.#iso()))) {
        await this.#lost(local);
        return;
      }
      outcome = await this.#retraining!.complete(toJob(local.row), outDir, input, report);
    } catch (error) {
      if (error instanceof BerthError) await this.#settle(local, { state: 'failed', error: { error: error.message, code: error.code } });
      else await this.#failInternally(local, `its challenger could not be registered: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    await this.#store.setRegistered(local.row.id, JSON.stringify({ model: local.row.name, version: outcome.challenger }));
    const { target: _target, ...result } = summary;
    await this.#settle(local, { state: 'succeeded', result: { ...result, retrain: outcome }, progress: { stage: 'done', fraction: 1, message: outcome.reason } });
  }

  async #storeBundle(outDir: string): Promise<TrainingJobFile[]> {
    const files: TrainingJobFile[] = [];
    for (const entry of await readdir(outDir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      const blob = await this.#blobs.put(path);
      files.push({ path: path.slice(outDir.length + 1).split(sep).join('/'), digest: blob.digest, size: blob.size });
    }
    return files;
  }

  async #failInternally(local: LocalJob, reason: string): Promise<void> {
    const error = Errors.TRAINING_FAILED.create(local.row.id, reason);
    if (await this.#settle(local, { state: 'failed', error: { error: error.message, code: error.code } })) this.#internalError(local, reason);
  }

  #internalError(local: LocalJob, detail: string): void {
    this.#store
      .get(local.row.id)
      .then((row) => row && this.#onInternalError?.(toJob(row), detail))
      .catch(this.#onBackgroundError);
  }

  /** Writes the newest progress; older progress not yet written is skipped. */
  #progress(local: LocalJob, progress: TrainingJob['progress']): void {
    if (local.settled) return;
    local.pending = progress;
    local.writing ??= (async () => {
      try {
        while (local.pending && !local.settled) {
          const next = local.pending;
          local.pending = undefined;
          if (!(await this.#store.progress(local.row.id, this.replica, JSON.stringify(next), this.#iso()))) {
            await this.#lost(local);
            return;
          }
          await this.#announce(local.row.id);
        }
      } catch (error) {
        this.#onBackgroundError(error);
      } finally {
        local.writing = undefined;
      }
    })();
  }

  /**
   * Writes a job's outcome, once. Returns false when this replica no longer held the job (another
   * replica found its lease stale and failed it).
   */
  async #settle(
    local: LocalJob,
    outcome: { state: 'succeeded' | 'failed'; result?: TrainingJob['result']; error?: TrainingJob['error']; progress?: TrainingJob['progress'] },
    files?: readonly TrainingJobFile[],
  ): Promise<boolean> {
    if (local.settled) return false;
    local.settled = true;
    local.pending = undefined;
    await local.writing;
    const written: TrainingJobOutcome = {
      state: outcome.state,
      finished_at: this.#iso(),
      ...(outcome.progress ? { progress: JSON.stringify(outcome.progress) } : {}),
      ...(outcome.result ? { result: JSON.stringify(outcome.result) } : {}),
      ...(outcome.error ? { error: JSON.stringify(outcome.error) } : {}),
      ...(files ? { files } : {}),
    };
    const finished = await this.#store.finish(local.row.id, this.replica, written);
    if (!finished) return false;
    if (finished.upload) await this.#release([finished.upload]);
    await this.#announce(local.row.id);
    return true;
  }

  /** Another replica took this job away (our lease lapsed): stop training it. */
  async #lost(local: LocalJob): Promise<void> {
    local.settled = true;
    local.pending = undefined;
    await local.worker?.terminate();
  }

  /** Renews this replica's leases, fails jobs whose replica died, and drops old finished jobs. */
  #tickLeases(): Promise<void> {
    this.#leaseTick ??= (async () => {
      const mine = [...this.#local.values()].filter((l) => !l.settled);
        if (mine.length > 0) {
          const held = await this.#store.renew(
            this.replica,
            mine.map((l) => l.row.id),
            this.#iso(),
          );
          for (const local of mine) if (!held.has(local.row.id) && !local.settled) await this.#lost(local);
        }
        await this.#failStale();
        await this.#evict();
    })()
      .catch(this.#onBackgroundError)
      .finally(() => (this.#leaseTick = undefined));
    return this.#leaseTick;
  }

  async #failStale(): Promise<void> {
    const now = this.#now();
    for (const row of await this.#store.stale(new Date(now.getTime() - this.#config.leaseMs).toISOString())) {
      if (await this.#restartStale(row)) continue;
      const error: BerthError = Errors.TRAINING_REPLICA_LOST.create(row.id, row.holder ?? 'unknown', row.heartbeat_at ?? row.started_at ?? row.created_at);
      const failed = await this.#store.failStale(row.id, row.heartbeat_at!, {
        state: 'failed',
        finished_at: now.toISOString(),
        error: JSON.stringify({ error: error.message, code: error.code }),
      });
      if (!failed) continue;
      if (failed.upload) await this.#release([failed.upload]);
      await this.#announce(row.id);
      this.#onInternalError?.(toJob((await this.#store.get(row.id)) ?? row), error.message);
    }
  }

  /**
   * Queues again a retraining job whose replica died, unless it was registering its challenger or
   * has been restarted RETRAIN_RESTARTS times already; true when it did. Nothing of a retraining
   * job is lost with its replica: its spec is the row, its data the champion's blobs and the logs.
   */
  async #restartStale(row: TrainingJobRow): Promise<boolean> {
    const options = JSON.parse(row.options) as TrainingJob['options'] & { retrain?: RetrainJobSpec };
    const spec = options.retrain;
    if (!spec || (JSON.parse(row.progress) as { stage: string }).stage === REGISTER_STAGE) return false;
    const restarts = spec.restarts ?? 0;
    if (restarts >= RETRAIN_RESTARTS) return false;
    const since = row.heartbeat_at ?? row.started_at ?? row.created_at;
    const requeued = await this.#store.requeue(row.id, { heartbeatAt: row.heartbeat_at! }, {
      options: JSON.stringify({ ...options, retrain: { ...spec, restarts: restarts + 1 } }),
      progress: JSON.stringify({ stage: 'queued', fraction: 0, message: `waiting for a free trainer: the replica running it (${row.holder ?? 'unknown'}) was lost after ${since}` }),
    });
    if (!requeued) return false;
    await this.#announce(row.id);
    await this.#pump();
    return true;
  }

  /**
   * Queues again a retraining job this replica stops running because it shuts down, unless its
   * challenger is being registered; true when it did. Another replica (or this one, restarted)
   * runs it from the start; a restart is not the job's fault, so it is not counted.
   */
  async #handBack(local: LocalJob): Promise<boolean> {
    if (local.settled || local.finishing || !local.row.retrain_model) return false;
    local.settled = true;
    local.pending = undefined;
    await local.writing;
    return this.#store.requeue(local.row.id, { holder: this.replica }, {
      options: local.row.options,
      progress: JSON.stringify({ stage: 'queued', fraction: 0, message: 'waiting for a free trainer: the replica running it shut down' }),
    });
  }

  /** Drops the oldest finished jobs beyond the number kept, with the blobs only they used. */
  async #evict(): Promise<void> {
    await this.#release(await this.#store.evict(this.#config.keepJobs));
  }

  /** Removes the blobs of `digests` that no row references any more. */
  async #release(digests: readonly string[]): Promise<void> {
    const used = await stillReferenced(this.#db, digests);
    for (const digest of digests) if (!used.has(digest)) await this.#blobs.delete(digest, { graceMs: BLOB_GRACE_MS });
  }

  /** Tells this replica's followers of a job about its latest row. */
  async #announce(id: string): Promise<void> {
    if (this.#events.listenerCount(id) === 0) return;
    const row = await this.#store.get(id);
    if (row) this.#events.emit(id, row);
  }

  async #row(id: string): Promise<TrainingJobRow> {
    const row = await this.#store.get(id);
    if (!row) throw Errors.TRAINING_JOB_NOT_FOUND.create(id);
    return row;
  }

  async #assertRoom(): Promise<void> {
    if (this.#local.size < this.#config.maxConcurrentJobs) return;
    const waiting = await this.#store.countQueued();
    if (waiting >= this.#config.maxQueuedJobs) throw Errors.TRAINING_QUEUE_FULL.create(waiting);
  }

  #assertOpen(): void {
    if (this.#closed) throw Errors.SERVER_SHUTTING_DOWN.create();
  }

  #iso(): string {
    return this.#now().toISOString();
  }

  async #ensureRoot(): Promise<string> {
    this.#root ??= mkdir(this.#workDir, { recursive: true }).then(() => mkdtemp(join(this.#workDir, 'jobs-')));
    const root = await this.#root;
    // A serving replica's collection of temporary files removes a folder left idle for an hour.
    await mkdir(root, { recursive: true });
    return root;
  }
}

/** A row as the API shows it. */
function toJob(row: TrainingJobRow): TrainingJob {
  return Object.freeze({
    id: row.id,
    state: row.state as TrainingJobState,
    created: row.created_at,
    ...(row.started_at ? { started: row.started_at } : {}),
    ...(row.finished_at ? { finished: row.finished_at } : {}),
    file: row.file,
    target: row.target,
    name: row.name,
    ...optionsOf(row.options),
    progress: JSON.parse(row.progress) as TrainingJob['progress'],
    ...(row.result ? { result: JSON.parse(row.result) as TrainingJob['result'] } : {}),
    ...(row.error ? { error: JSON.parse(row.error) as TrainingJob['error'] } : {}),
    ...(row.registered ? { registered: JSON.parse(row.registered) as TrainingJob['registered'] } : {}),
  });
}

/** A row's options, with a retraining job's spec lifted out beside them. */
function optionsOf(text: string): Pick<TrainingJob, 'options' | 'retrain'> {
  const { retrain, ...options } = JSON.parse(text) as TrainingJob['options'] & { retrain?: RetrainJobSpec };
  return { options, ...(retrain ? { retrain } : {}) };
}
