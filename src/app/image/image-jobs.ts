/**
 * Image builds started over the management API (`POST /api/images`): one build at a time in the
 * server process, a bounded queue, progress lines as the build reports them, and the archive kept
 * until the job is dropped (the oldest finished jobs go first). Jobs and archives live on the
 * replica that took them, whose Location the API answers with.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError, Errors } from '../../core/errors.js';
import type { Registry } from '../../registry/index.js';
import { type BuildImageOptions, type BuildImageResult, buildImage } from './build-image.js';

/** What a job was asked to build. */
export interface ImageJobRequest {
  /** `name`, `name@alias` or `name:version`, one or more. */
  readonly models: readonly string[];
  readonly modelcar?: boolean | undefined;
  /** The image name in the archive; default `<model>:<version>`. */
  readonly tag?: string | undefined;
}

/** A job as the API shows it. */
export interface ImageJob {
  readonly id: string;
  readonly state: 'queued' | 'building' | 'succeeded' | 'failed';
  readonly request: ImageJobRequest;
  readonly created: string;
  readonly finished?: string;
  /** The build's steps so far. */
  readonly progress: readonly string[];
  /** The image, once built (without local paths). */
  readonly image?: Omit<BuildImageResult, 'archive' | 'pushed'> & { readonly archiveBytes: number };
  readonly error?: { readonly code: string; readonly message: string };
}

/** Options of {@link ImageJobs}. */
export interface ImageJobsOptions {
  readonly registry: Registry;
  /** Where archives are written (emptied at start and at close). */
  readonly workDir: string;
  /** What buildImage needs besides the request: base, cache, package, host. */
  readonly build: Pick<BuildImageOptions, 'base' | 'cacheDir' | 'packageRoot' | 'berthVersion' | 'host'>;
  /** Jobs waiting for the builder; past it new jobs get 503. */
  readonly maxQueued?: number;
  /** Finished jobs kept with their archives. */
  readonly keepJobs?: number;
  /** Called with a failure that is not the request's fault (for the server log). */
  readonly onInternalError?: (job: ImageJob, error: unknown) => void;
}

interface Entry {
  job: ImageJob;
  readonly archive: string;
}

/** The server's image builds. */
export class ImageJobs {
  readonly #options: ImageJobsOptions;
  readonly #jobs = new Map<string, Entry>();
  #chain: Promise<void> = Promise.resolve();
  #prepared: Promise<void> | undefined;
  #closed = false;

  constructor(options: ImageJobsOptions) {
    this.#options = options;
  }

  /**
   * Queues a build after checking that every reference names a registered version (so an unknown
   * model is a 404 now, not a failed job later). Throws BERTH_IMAGE_OPTION_INVALID, the registry's
   * not-found errors, or BERTH_IMAGE_QUEUE_FULL.
   */
  async start(request: ImageJobRequest): Promise<ImageJob> {
    if (this.#closed) throw Errors.SERVER_SHUTTING_DOWN.create();
    if (request.models.length === 0) throw Errors.IMAGE_OPTION_INVALID.create('name at least one model version in "models"');
    for (const reference of request.models) await this.#options.registry.resolve(reference);
    const waiting = [...this.#jobs.values()].filter((e) => e.job.state === 'queued').length;
    if (waiting >= (this.#options.maxQueued ?? 4)) throw Errors.IMAGE_QUEUE_FULL.create(waiting);
    this.#prepared ??= rm(this.#options.workDir, { recursive: true, force: true }).then(() => mkdir(this.#options.workDir, { recursive: true }).then(() => undefined));
    const id = randomUUID();
    const entry: Entry = {
      job: { id, state: 'queued', request: { ...request, models: [...request.models] }, created: new Date().toISOString(), progress: [] },
      archive: join(this.#options.workDir, `${id}.tar`),
    };
    this.#jobs.set(id, entry);
    this.#chain = this.#chain.then(() => this.#run(entry));
    await this.#drop();
    return entry.job;
  }

  /** A job by id; throws BERTH_IMAGE_JOB_NOT_FOUND. */
  get(id: string): ImageJob {
    const entry = this.#jobs.get(id);
    if (!entry) throw Errors.IMAGE_JOB_NOT_FOUND.create(id);
    return entry.job;
  }

  /** Every job, newest first. */
  list(): ImageJob[] {
    return [...this.#jobs.values()].map((e) => e.job).reverse();
  }

  /** The archive of a built image; throws BERTH_IMAGE_JOB_NOT_FOUND or _NOT_FINISHED. */
  archive(id: string): { path: string; bytes: number; filename: string } {
    const entry = this.#jobs.get(id);
    if (!entry) throw Errors.IMAGE_JOB_NOT_FOUND.create(id);
    if (entry.job.state !== 'succeeded' || !entry.job.image) throw Errors.IMAGE_JOB_NOT_FINISHED.create(id, entry.job.state);
    const first = entry.job.image.versions[0]!;
    return { path: entry.archive, bytes: entry.job.image.archiveBytes, filename: `${first.model}-${first.version}${entry.job.request.modelcar ? '-modelcar' : ''}.tar` };
  }

  /** Lets the running build finish, then removes every archive. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#chain;
    await rm(this.#options.workDir, { recursive: true, force: true });
  }

  async #run(entry: Entry): Promise<void> {
    if (this.#closed) return;
    await this.#prepared;
    const update = (change: Partial<ImageJob>) => (entry.job = { ...entry.job, ...change });
    update({ state: 'building' });
    try {
      const result = await buildImage({
        ...this.#options.build,
        registry: this.#options.registry,
        references: entry.job.request.models,
        modelcar: entry.job.request.modelcar ?? false,
        output: entry.archive,
        tag: entry.job.request.tag,
        onProgress: (step) => update({ progress: [...entry.job.progress, step] }),
      });
      const { archive, pushed: _pushed, ...image } = result;
      update({ state: 'succeeded', finished: new Date().toISOString(), image: { ...image, archiveBytes: archive?.bytes ?? 0 } });
    } catch (error) {
      const berth = error instanceof BerthError ? error : undefined;
      update({ state: 'failed', finished: new Date().toISOString(), error: { code: berth?.code ?? 'BERTH_IMAGE_BUILD_FAILED', message: berth?.message ?? String(error) } });
      if (!berth || berth.httpStatus >= 500) this.#options.onInternalError?.(entry.job, error);
    }
    await this.#drop();
  }

  /** Drops the oldest finished jobs past the limit, with their archives. */
  async #drop(): Promise<void> {
    const finished = [...this.#jobs.values()].filter((e) => e.job.state === 'succeeded' || e.job.state === 'failed');
    for (const entry of finished.slice(0, Math.max(0, finished.length - (this.#options.keepJobs ?? 10)))) {
      this.#jobs.delete(entry.job.id);
      await rm(entry.archive, { force: true });
    }
  }
}
