/**
 * Training jobs in the metadata database: the queue every replica takes work from, the state
 * and progress any replica shows, and the leases that tell a live job from one whose replica
 * died. Every write runs in a transaction (on SQLite that takes the write lock up front, so
 * replicas sharing one file wait for each other instead of failing).
 */
import type { Kysely, Transaction } from 'kysely';
import type { StoreTables, TrainingJobFilesTable, TrainingJobsTable } from './store-tables.js';

/** A training job's row. */
export type TrainingJobRow = TrainingJobsTable;

/** One file of a job's bundle, stored as a blob. */
export type TrainingJobFile = Omit<TrainingJobFilesTable, 'job_id'>;

/** What finishing a job changes. */
export interface TrainingJobOutcome {
  readonly state: 'succeeded' | 'failed';
  readonly finished_at: string;
  readonly progress?: string;
  readonly result?: string;
  readonly error?: string;
  /** The bundle's files (a succeeded job). */
  readonly files?: readonly TrainingJobFile[];
}

/**
 * The training job rows of one metadata database. Rows are plain column values (JSON as text);
 * what they mean is the training jobs' business.
 *
 * @example
 *   const store = new TrainingJobStore(registry.store.db);
 *   const job = await store.claimNext('replica-a', new Date().toISOString(), (file) => progressJson(file));
 */
export class TrainingJobStore {
  readonly #db: Kysely<StoreTables>;

  constructor(db: Kysely<StoreTables>) {
    this.#db = db;
  }

  /** Adds a job (normally queued). */
  async insert(row: TrainingJobRow): Promise<void> {
    await this.#write((trx) => trx.insertInto('training_jobs').values(row).execute());
  }

  /**
   * Adds a queued retraining job unless its model has one queued or running (the unique
   * `retrain_model` decides between racing replicas). False when it has.
   */
  async insertRetraining(row: TrainingJobRow): Promise<boolean> {
    try {
      await this.#write(async (trx) => {
        const active = await trx.selectFrom('training_jobs').select('id').where('retrain_model', '=', row.retrain_model!).executeTakeFirst();
        if (active) throw new ActiveRetraining();
        await trx.insertInto('training_jobs').values(row).execute();
      });
      return true;
    } catch (error) {
      if (error instanceof ActiveRetraining) return false;
      // Another replica inserted between our look and our insert: the unique index refused ours.
      if ((await this.activeRetraining(row.retrain_model!)) !== undefined) return false;
      throw error;
    }
  }

  /** The model's queued or running retraining job, if any. */
  async activeRetraining(model: string): Promise<TrainingJobRow | undefined> {
    return normalise(await this.#db.selectFrom('training_jobs').selectAll().where('retrain_model', '=', model).executeTakeFirst());
  }

  /** One job, or undefined. */
  async get(id: string): Promise<TrainingJobRow | undefined> {
    return normalise(await this.#db.selectFrom('training_jobs').selectAll().where('id', '=', id).executeTakeFirst());
  }

  /** Every job, newest first. */
  async list(): Promise<TrainingJobRow[]> {
    const rows = await this.#db.selectFrom('training_jobs').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map((r) => normalise(r)!);
  }

  /** How many jobs wait for a trainer. */
  async countQueued(): Promise<number> {
    const row = await this.#db.selectFrom('training_jobs').select((eb) => eb.fn.countAll<number | string>().as('n')).where('state', '=', 'queued').executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /**
   * Takes the oldest queued job (of `kinds`: plain training jobs, retraining jobs, or all) for `holder`: it becomes running, held by `holder`, with its
   * heartbeat at `now`. Of replicas racing for one job only one gets it. Undefined when none waits.
   */
  async claimNext(holder: string, now: string, progress: (file: string) => string, kinds: 'all' | 'plain' | 'retraining' = 'all'): Promise<TrainingJobRow | undefined> {
    // A replica that cannot run retraining leaves those jobs to others; `berth retrain --wait` takes only them.
    const queued = (db: Kysely<StoreTables>) => {
      const query = db.selectFrom('training_jobs').where('state', '=', 'queued');
      return kinds === 'all' ? query : kinds === 'plain' ? query.where('retrain_model', 'is', null) : query.where('retrain_model', 'is not', null);
    };
    // Replicas look every few hundred milliseconds: only a queued job is worth a write transaction.
    if (!(await queued(this.#db).select('id').limit(1).executeTakeFirst())) return undefined;
    return this.#write(async (trx) => {
      // Another replica may take the job we chose first (PostgreSQL re-checks the condition once
      // its transaction commits): then the next one is chosen, until none is left.
      for (;;) {
        const next = await queued(trx).select(['id', 'file']).orderBy('created_at').orderBy('id').limit(1).executeTakeFirst();
        if (!next) return undefined;
        const claimed = await trx
          .updateTable('training_jobs')
          .set((eb) => ({ state: 'running', holder, heartbeat_at: now, started_at: now, progress: progress(next.file), revision: eb('revision', '+', 1) }))
          .where('id', '=', next.id)
          .where('state', '=', 'queued')
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) > 0) return normalise(await trx.selectFrom('training_jobs').selectAll().where('id', '=', next.id).executeTakeFirst());
      }
    });
  }

  /** Records a running job's progress (renewing its heartbeat); false when `holder` no longer holds it. */
  async progress(id: string, holder: string, progress: string, now: string): Promise<boolean> {
    return this.#write(async (trx) => {
      const result = await trx
        .updateTable('training_jobs')
        .set((eb) => ({ progress, heartbeat_at: now, revision: eb('revision', '+', 1) }))
        .where('id', '=', id)
        .where('holder', '=', holder)
        .where('state', '=', 'running')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    });
  }

  /** Renews `holder`'s lease on the jobs `ids`; returns the ids it still holds. */
  async renew(holder: string, ids: readonly string[], now: string): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    return this.#write(async (trx) => {
      await trx.updateTable('training_jobs').set({ heartbeat_at: now }).where('id', 'in', ids).where('holder', '=', holder).where('state', '=', 'running').execute();
      const held = await trx.selectFrom('training_jobs').select('id').where('id', 'in', ids).where('holder', '=', holder).where('state', '=', 'running').execute();
      return new Set(held.map((r) => r.id));
    });
  }

  /**
   * Finishes a job `holder` runs, with its bundle's files when it succeeded (its upload is no
   * longer needed). Returns the upload's digest, or false (and changes nothing) when `holder` no
   * longer holds it.
   */
  async finish(id: string, holder: string, outcome: TrainingJobOutcome): Promise<{ upload: string | null } | false> {
    return this.#write(async (trx) => {
      const row = await trx.selectFrom('training_jobs').select('upload_digest').where('id', '=', id).where('holder', '=', holder).where('state', '=', 'running').executeTakeFirst();
      if (!row) return false;
      await markFinished(trx, id, outcome);
      if (outcome.files && outcome.files.length > 0) await trx.insertInto('training_job_files').values(outcome.files.map((f) => ({ job_id: id, ...f }))).execute();
      return { upload: row.upload_digest };
    });
  }

  /** Running jobs whose heartbeat is older than `before`. */
  async stale(before: string): Promise<TrainingJobRow[]> {
    const rows = await this.#db.selectFrom('training_jobs').selectAll().where('state', '=', 'running').where('heartbeat_at', '<', before).execute();
    return rows.map((r) => normalise(r)!);
  }

  /**
   * Fails a running job whose heartbeat is still `heartbeatAt` (its holder has not come back
   * meanwhile). Returns the upload's digest, or false when the job moved on.
   */
  async failStale(id: string, heartbeatAt: string, outcome: TrainingJobOutcome): Promise<{ upload: string | null } | false> {
    return this.#write(async (trx) => {
      const row = await trx.selectFrom('training_jobs').select('upload_digest').where('id', '=', id).where('state', '=', 'running').where('heartbeat_at', '=', heartbeatAt).executeTakeFirst();
      if (!row) return false;
      await markFinished(trx, id, outcome);
      return { upload: row.upload_digest };
    });
  }

  /**
   * Queues a running job again, with new options and progress: it loses its holder and keeps its
   * place (a retraining job keeps its model). Only while `held` still holds: the job's holder (a
   * replica handing its job back), or its heartbeat (a replica that found the lease stale, whose
   * holder has not come back meanwhile). False when the job moved on.
   */
  async requeue(id: string, held: { readonly holder: string } | { readonly heartbeatAt: string }, change: { readonly options: string; readonly progress: string }): Promise<boolean> {
    return this.#write(async (trx) => {
      const query = trx
        .updateTable('training_jobs')
        .set((eb) => ({ state: 'queued', holder: null, heartbeat_at: null, started_at: null, options: change.options, progress: change.progress, revision: eb('revision', '+', 1) }))
        .where('id', '=', id)
        .where('state', '=', 'running');
      const result = await ('holder' in held ? query.where('holder', '=', held.holder) : query.where('heartbeat_at', '=', held.heartbeatAt)).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    });
  }

  /** The files of a job's bundle. */
  async files(id: string): Promise<TrainingJobFile[]> {
    const rows = await this.#db.selectFrom('training_job_files').select(['path', 'digest', 'size']).where('job_id', '=', id).orderBy('path').execute();
    return rows.map((r) => ({ path: r.path, digest: r.digest, size: Number(r.size) }));
  }

  /** Records what a job's bundle was registered as (JSON). False when the job is gone. */
  async setRegistered(id: string, registered: string): Promise<boolean> {
    return this.#write(async (trx) => {
      const result = await trx
        .updateTable('training_jobs')
        .set((eb) => ({ registered, revision: eb('revision', '+', 1) }))
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    });
  }

  /**
   * Deletes the finished jobs beyond the newest `keep` (by when they finished), with their file
   * rows; returns the digests they referenced, for the caller to release.
   */
  async evict(keep: number): Promise<string[]> {
    const beyond = (db: Kysely<StoreTables>) =>
      db
        .selectFrom('training_jobs')
        .select(['id', 'upload_digest'])
        .where('state', 'in', ['succeeded', 'failed'])
        .orderBy('finished_at', 'desc')
        .orderBy('id', 'desc')
        // SQLite accepts an offset only after a limit; no store holds more jobs than this.
        .limit(1_000_000)
        .offset(keep);
    // Every replica looks now and then: only jobs to drop are worth a write transaction.
    if ((await beyond(this.#db).execute()).length === 0) return [];
    return this.#write(async (trx) => {
      const old = await beyond(trx).execute();
      if (old.length === 0) return [];
      const ids = old.map((r) => r.id);
      const files = await trx.selectFrom('training_job_files').select('digest').where('job_id', 'in', ids).execute();
      await trx.deleteFrom('training_job_files').where('job_id', 'in', ids).execute();
      await trx.deleteFrom('training_jobs').where('id', 'in', ids).execute();
      return [...new Set([...files.map((f) => f.digest), ...old.flatMap((r) => (r.upload_digest ? [r.upload_digest] : []))])];
    });
  }

  #write<T>(work: (trx: Transaction<StoreTables>) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute(work);
  }
}

/** Writes a job's outcome, moving its revision on. */
async function markFinished(trx: Transaction<StoreTables>, id: string, outcome: TrainingJobOutcome): Promise<void> {
  await trx
    .updateTable('training_jobs')
    .set((eb) => ({ ...finishedColumns(outcome), revision: eb('revision', '+', 1) }))
    .where('id', '=', id)
    .execute();
}

function finishedColumns(outcome: TrainingJobOutcome): Partial<TrainingJobRow> {
  return {
    state: outcome.state,
    finished_at: outcome.finished_at,
    // A finished retraining job no longer holds its model: the next one may be queued.
    retrain_model: null,
    ...(outcome.progress !== undefined ? { progress: outcome.progress } : {}),
    ...(outcome.result !== undefined ? { result: outcome.result } : {}),
    ...(outcome.error !== undefined ? { error: outcome.error } : {}),
  };
}

/** Revisions as numbers, whatever the driver hands back. */
function normalise(row: TrainingJobRow | undefined): TrainingJobRow | undefined {
  return row ? { ...row, revision: Number(row.revision) } : undefined;
}

/** Thrown inside insertRetraining's transaction to roll it back. */
class ActiveRetraining extends Error {}
