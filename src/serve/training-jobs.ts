/**
 * Training jobs: the no-code path of the dashboard. A job trains on an uploaded CSV in a worker
 * thread of its own (training is CPU-bound; the event loop keeps serving), reports its progress,
 * and leaves a bundle that can then be registered. Jobs live in memory: a bounded number run at
 * once, a bounded number wait, and only the newest finished ones are kept, with their bundles.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Errors } from '../core/errors.js';
import type { FeatureSchema } from '../core/feature-schema.js';
import { type AuditActor, type RegisterResult, type Registry, validateAliasName, validateModelName } from '../registry/index.js';
import type { AlgorithmChoice, TrainProgress } from '../train/index.js';
import { modelNameForFile } from '../app/model-name-for-file.js';
import type { TrainingSummary } from '../app/train-bundle.js';

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
  readonly options: { readonly task: string; readonly algorithm: string; readonly seed?: number };
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
}

/** Options for {@link TrainingJobs}; the limits default as `training` in the configuration does. */
export interface TrainingJobsOptions {
  /** A folder for uploads and bundles; the jobs work in a private folder inside it, which close() removes. */
  readonly workDir: string;
  /** Jobs trained at once; default 1. */
  readonly maxConcurrentJobs?: number;
  /** Jobs waiting for a trainer before submit refuses more; default 16. */
  readonly maxQueuedJobs?: number;
  /** Largest CSV accepted, in bytes; default 256 MiB. */
  readonly maxUploadBytes?: number;
  /** Finished jobs kept; default 50. */
  readonly keepJobs?: number;
  /** Heap limit of a training worker in MiB; default 4096. */
  readonly maxMemoryMb?: number;
  /** Called when a job fails for a reason that is not the data's (for the server log). */
  readonly onInternalError?: (job: TrainingJob, detail: string) => void;
  /** The clock, for tests. */
  readonly now?: () => Date;
  /** The worker script; default training-worker.js beside this module (run from dist/). */
  readonly workerUrl?: URL;
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
  readonly name: string;
  readonly outDir: string;
}

/** What a training worker sends back. */
export type TrainingWorkerMessage =
  | { readonly type: 'progress'; readonly progress: TrainingJob['progress'] }
  | { readonly type: 'succeeded'; readonly result: TrainingSummary }
  | { readonly type: 'failed'; readonly error: { readonly code: string; readonly message: string }; readonly detail?: string };

interface JobRecord {
  job: TrainingJob;
  readonly request: TrainingWorkerRequest;
  readonly dir: string;
  worker?: Worker;
}

const TASKS = ['auto', 'classification', 'regression'] as const;
const ALGORITHMS = ['auto', 'linear', 'gbdt'] as const;

/**
 * The training jobs of one server. Construct one per server and close it at shutdown.
 *
 * @example
 *   const jobs = new TrainingJobs({ workDir: join(config.store.home, 'training'), ...config.training });
 *   const csv = await jobs.uploadPath();           // stream the upload here
 *   const job = await jobs.submit({ csv, file: 'loans.csv', target: 'defaulted' });
 *   jobs.subscribe(job.id, (j) => console.log(j.state, j.progress.fraction));
 *   // later: await jobs.register(job.id, registry, { alias: 'staging' });
 */
export class TrainingJobs {
  /** Largest CSV accepted, in bytes. */
  readonly maxUploadBytes: number;
  readonly #workDir: string;
  readonly #maxConcurrent: number;
  readonly #maxQueued: number;
  readonly #keep: number;
  readonly #maxMemoryMb: number;
  readonly #onInternalError: TrainingJobsOptions['onInternalError'];
  readonly #now: () => Date;
  readonly #workerUrl: URL;
  readonly #jobs = new Map<string, JobRecord>();
  readonly #queue: JobRecord[] = [];
  readonly #events = new EventEmitter();
  #running = 0;
  #root: Promise<string> | undefined;
  #closed = false;

  constructor(options: TrainingJobsOptions) {
    this.#workDir = options.workDir;
    this.#maxConcurrent = options.maxConcurrentJobs ?? 1;
    this.#maxQueued = options.maxQueuedJobs ?? 16;
    this.maxUploadBytes = options.maxUploadBytes ?? 256 * 1024 * 1024;
    this.#keep = options.keepJobs ?? 50;
    this.#maxMemoryMb = options.maxMemoryMb ?? 4096;
    this.#onInternalError = options.onInternalError;
    this.#now = options.now ?? (() => new Date());
    this.#workerUrl = options.workerUrl ?? new URL('./training-worker.js', import.meta.url);
    // Every open event stream listens on its job; there is no leak to warn about.
    this.#events.setMaxListeners(0);
  }

  /**
   * A fresh path for an upload to be written to, then passed to {@link submit}. Throws
   * BERTH_TRAINING_QUEUE_FULL first when no job could be accepted, so a refused upload is not read.
   */
  async uploadPath(): Promise<string> {
    this.#assertOpen();
    this.#assertRoom();
    const uploads = join(await this.#ensureRoot(), 'uploads');
    await mkdir(uploads, { recursive: true });
    return join(uploads, `${randomUUID()}.csv`);
  }

  /**
   * Queues a job and returns it. Throws, removing the upload, BERTH_REQUEST_INVALID without a
   * target, BERTH_TRAIN_OPTION_INVALID for an unknown task or algorithm, BERTH_REGISTRY_NAME_INVALID
   * for a bad name, BERTH_TRAINING_UPLOAD_TOO_LARGE or BERTH_TRAINING_QUEUE_FULL.
   */
  async submit(request: TrainingRequest): Promise<TrainingJob> {
    let record: JobRecord;
    try {
      this.#assertOpen();
      record = await this.#createJob(request);
    } catch (error) {
      await rm(request.csv, { force: true });
      throw error;
    }
    this.#jobs.set(record.job.id, record);
    this.#queue.push(record);
    this.#pump();
    return record.job;
  }

  /** Every job, newest first. */
  list(): TrainingJob[] {
    return [...this.#jobs.values()].map((r) => r.job).reverse();
  }

  /** One job; throws BERTH_TRAINING_JOB_NOT_FOUND. */
  get(id: string): TrainingJob {
    return this.#record(id).job;
  }

  /**
   * Calls `listener` with the job each time it changes, until the returned function is called.
   * Throws BERTH_TRAINING_JOB_NOT_FOUND.
   */
  subscribe(id: string, listener: (job: TrainingJob) => void): () => void {
    this.#record(id);
    this.#events.on(id, listener);
    return () => this.#events.off(id, listener);
  }

  /**
   * Registers a succeeded job's bundle as a version of `name` (default the job's name), pointing
   * `alias` at it. Throws BERTH_TRAINING_JOB_NOT_FOUND, BERTH_TRAINING_JOB_NOT_FINISHED, and the
   * registry's errors.
   */
  async register(
    id: string,
    registry: Registry,
    options: { readonly name?: string | undefined; readonly alias?: string | undefined; readonly actor?: AuditActor | undefined } = {},
  ): Promise<RegisterResult> {
    const record = this.#record(id);
    if (record.job.state !== 'succeeded') throw Errors.TRAINING_JOB_NOT_FINISHED.create(id, record.job.state);
    const name = validateModelName(options.name ?? record.job.name);
    const aliases = options.alias === undefined ? [] : [validateAliasName(options.alias)];
    const result = await registry.register(record.request.outDir, {
      name,
      aliases,
      actor: options.actor,
      source: `training:${id} (${record.job.file})`,
    });
    // The job may have been dropped meanwhile; its bundle was read before that.
    if (this.#jobs.has(id)) this.#update(record, { registered: { model: result.version.model, version: result.version.version } });
    return result;
  }

  /** Stops every worker, fails the jobs that had not finished, and removes the working folder. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    const workers: Promise<number>[] = [];
    for (const record of this.#jobs.values()) {
      if (record.job.state === 'queued' || record.job.state === 'running') {
        if (record.worker) workers.push(record.worker.terminate());
        this.#finish(record, { state: 'failed', error: { error: 'The server shut down before the job finished. Start it again.', code: Errors.SERVER_SHUTTING_DOWN.code } });
      }
    }
    await Promise.allSettled(workers);
    this.#events.removeAllListeners();
    const root = this.#root ? await this.#root.catch(() => undefined) : undefined;
    if (root) await rm(root, { recursive: true, force: true });
  }

  async #createJob(request: TrainingRequest): Promise<JobRecord> {
    const target = request.target?.trim();
    if (!target) throw Errors.REQUEST_INVALID.create("field 'target' is required: the name of the column to predict");
    const task = request.task || 'auto';
    if (!(TASKS as readonly string[]).includes(task)) throw Errors.TRAIN_OPTION_INVALID.create('task', `'${task}' is not auto, classification or regression`);
    const algorithm = request.algorithm || 'auto';
    if (!(ALGORITHMS as readonly string[]).includes(algorithm)) throw Errors.TRAIN_OPTION_INVALID.create('algorithm', `'${algorithm}' is not auto, linear or gbdt`);
    if (request.seed !== undefined && !(Number.isInteger(request.seed) && request.seed >= 0)) {
      throw Errors.TRAIN_OPTION_INVALID.create('seed', 'it must be a non-negative integer');
    }
    const name = request.name ? validateModelName(request.name) : modelNameForFile(request.file);
    const size = (await stat(request.csv)).size;
    if (size > this.maxUploadBytes) throw Errors.TRAINING_UPLOAD_TOO_LARGE.create(this.maxUploadBytes);
    this.#assertRoom();

    const id = randomUUID();
    const dir = join(await this.#ensureRoot(), 'jobs', id);
    await mkdir(dir, { recursive: true });
    const options = { task, algorithm, ...(request.seed !== undefined ? { seed: request.seed } : {}) };
    const job: TrainingJob = {
      id,
      state: 'queued',
      created: this.#now().toISOString(),
      file: request.file,
      target,
      name,
      options,
      progress: { stage: 'queued', fraction: 0, message: 'waiting for a free trainer' },
    };
    const workerRequest: TrainingWorkerRequest = {
      id,
      csv: request.csv,
      file: request.file,
      target,
      task: task as TrainingWorkerRequest['task'],
      algorithm: algorithm as AlgorithmChoice,
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
      name,
      outDir: join(dir, 'bundle'),
    };
    return { job, request: workerRequest, dir };
  }

  /** Starts queued jobs while trainers are free. */
  #pump(): void {
    while (!this.#closed && this.#running < this.#maxConcurrent && this.#queue.length > 0) this.#start(this.#queue.shift()!);
  }

  #start(record: JobRecord): void {
    this.#running++;
    this.#update(record, { state: 'running', started: this.#now().toISOString(), progress: { stage: 'read', fraction: 0, message: `reading ${record.job.file}` } });
    const worker = new Worker(this.#workerUrl, {
      workerData: record.request,
      // Past its heap limit the worker alone dies (ERR_WORKER_OUT_OF_MEMORY), not the server.
      resourceLimits: { maxOldGenerationSizeMb: this.#maxMemoryMb },
    });
    record.worker = worker;
    let outcome: 'settled' | undefined;
    worker.on('message', (message: TrainingWorkerMessage) => {
      if (message.type === 'progress') {
        if (record.job.state === 'running') this.#update(record, { progress: message.progress });
        return;
      }
      outcome = 'settled';
      if (message.type === 'succeeded') {
        const { target: _target, ...result } = message.result;
        this.#finish(record, { state: 'succeeded', result, progress: { stage: 'done', fraction: 1, message: `trained ${result.method}` } });
      } else {
        this.#finish(record, { state: 'failed', error: { error: message.error.message, code: message.error.code } });
        if (message.error.code === Errors.TRAINING_FAILED.code) this.#onInternalError?.(record.job, message.detail ?? message.error.message);
      }
    });
    // A worker that dies without a word (out of memory, a crash) fails its job; the server carries on.
    const died = (reason: string): void => {
      if (outcome || this.#closed) return;
      outcome = 'settled';
      const error = Errors.TRAINING_FAILED.create(record.job.id, reason);
      this.#finish(record, { state: 'failed', error: { error: error.message, code: error.code } });
      this.#onInternalError?.(record.job, reason);
    };
    worker.on('error', (error: Error) => died(error.message));
    worker.on('exit', (code) => {
      died(`the training worker exited with code ${code}`);
      record.worker = undefined;
      this.#running--;
      void rm(record.request.csv, { force: true });
      this.#evict();
      this.#pump();
    });
  }

  /** Drops the oldest finished jobs beyond the number kept, with their bundles. */
  #evict(): void {
    const finished = [...this.#jobs.values()].filter((r) => r.job.state === 'succeeded' || r.job.state === 'failed');
    for (const record of finished.slice(0, Math.max(0, finished.length - this.#keep))) {
      this.#jobs.delete(record.job.id);
      void rm(record.dir, { recursive: true, force: true });
    }
  }

  #finish(record: JobRecord, change: Partial<TrainingJob>): void {
    if (record.job.state === 'succeeded' || record.job.state === 'failed') return;
    this.#update(record, { ...change, finished: this.#now().toISOString() });
  }

  #update(record: JobRecord, change: Partial<TrainingJob>): void {
    record.job = Object.freeze({ ...record.job, ...change });
    this.#events.emit(record.job.id, record.job);
  }

  #record(id: string): JobRecord {
    const record = this.#jobs.get(id);
    if (!record) throw Errors.TRAINING_JOB_NOT_FOUND.create(id);
    return record;
  }

  #assertRoom(): void {
    if (this.#running >= this.#maxConcurrent && this.#queue.length >= this.#maxQueued) throw Errors.TRAINING_QUEUE_FULL.create(this.#queue.length);
  }

  #assertOpen(): void {
    if (this.#closed) throw Errors.SERVER_SHUTTING_DOWN.create();
  }

  #ensureRoot(): Promise<string> {
    this.#root ??= mkdir(this.#workDir, { recursive: true }).then(() => mkdtemp(join(this.#workDir, 'jobs-')));
    return this.#root;
  }
}
