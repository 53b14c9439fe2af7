/**
 * Rollouts in the metadata database: one row per rollout, written only by the replica holding the
 * rollout's lease, each write conditional on the row's revision. A unique index on `active_model`
 * keeps one running rollout per model, across replicas and the CLI.
 */
import type { Kysely } from 'kysely';
import type { RolloutsTable, StoreTables } from './store-tables.js';

/** A rollout's row. */
export type RolloutRow = RolloutsTable;

/** Columns an update may change (the identity and the start are fixed). */
export type RolloutUpdate = Partial<Omit<RolloutRow, 'id' | 'model' | 'champion' | 'challenger' | 'plan' | 'created_at' | 'interface' | 'actor' | 'revision'>>;

/** What inserting a rollout did. */
export type RolloutInsert = { readonly inserted: true } | { readonly inserted: false; readonly running: RolloutRow };

/**
 * The rollout rows of one metadata database. Rows are plain column values (JSON as text); what
 * they mean is the rollouts' business (src/app/rollouts).
 *
 * @example
 *   const store = new RolloutStore(registry.store.db);
 *   for (const row of await store.running()) ...
 */
export class RolloutStore {
  readonly #db: Kysely<StoreTables>;

  constructor(db: Kysely<StoreTables>) {
    this.#db = db;
  }

  /** Adds a running rollout, unless the model already has one running (then nothing is written and that one is returned). */
  async insert(row: RolloutRow): Promise<RolloutInsert> {
    const running = await this.runningFor(row.model);
    if (running) return { inserted: false, running };
    try {
      await this.#db.transaction().execute((trx) => trx.insertInto('rollouts').values({ ...row, active_model: row.model }).execute());
      return { inserted: true };
    } catch (error) {
      // Two starts racing: the unique index on active_model let one in.
      const winner = await this.runningFor(row.model);
      if (winner) return { inserted: false, running: winner };
      throw error;
    }
  }

  /** One rollout, or undefined. */
  async get(id: string): Promise<RolloutRow | undefined> {
    return normalise(await this.#db.selectFrom('rollouts').selectAll().where('id', '=', id).executeTakeFirst());
  }

  /** The model's running rollout, or undefined. */
  async runningFor(model: string): Promise<RolloutRow | undefined> {
    return normalise(await this.#db.selectFrom('rollouts').selectAll().where('active_model', '=', model).executeTakeFirst());
  }

  /** Every running rollout, oldest first. */
  async running(): Promise<RolloutRow[]> {
    const rows = await this.#db.selectFrom('rollouts').selectAll().where('active_model', 'is not', null).orderBy('created_at').orderBy('id').execute();
    return rows.map((r) => normalise(r)!);
  }

  /** The model's rollouts, newest first (at most `limit`). */
  async list(model: string, limit = 50): Promise<RolloutRow[]> {
    const rows = await this.#db.selectFrom('rollouts').selectAll().where('model', '=', model).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => normalise(r)!);
  }

  /**
   * Writes `changes` if the row is still at `revision` (and bumps it); a row that leaves the
   * `running` state frees its model for the next rollout. False when another writer got there first.
   */
  async update(id: string, revision: number, changes: RolloutUpdate): Promise<boolean> {
    const finished = changes.state !== undefined && changes.state !== 'running' ? { active_model: null } : {};
    const result = await this.#db.transaction().execute((trx) =>
      trx
        .updateTable('rollouts')
        .set({ ...changes, ...finished, revision: revision + 1 })
        .where('id', '=', id)
        .where('revision', '=', revision)
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) > 0;
  }
}

function normalise(row: RolloutRow | undefined): RolloutRow | undefined {
  return row ? { ...row, champion: Number(row.champion), challenger: Number(row.challenger), step: Number(row.step), revision: Number(row.revision), deployment_seq: row.deployment_seq === null ? null : Number(row.deployment_seq) } : undefined;
}
