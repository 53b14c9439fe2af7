/**
 * Retraining policies in the metadata database: one row per model, its policy and what its
 * triggers have seen. The replica running the triggers writes the state conditionally on the
 * row's revision, so a policy changed meanwhile is never overwritten by a stale tick.
 */
import type { Kysely } from 'kysely';
import type { RetrainPoliciesTable, StoreTables } from './store-tables.js';

/** A policy's row. */
export type RetrainPolicyRow = RetrainPoliciesTable;

/** The retraining policies of one metadata database (JSON as text; the meaning is retraining's business). */
export class RetrainPolicyStore {
  readonly #db: Kysely<StoreTables>;

  constructor(db: Kysely<StoreTables>) {
    this.#db = db;
  }

  /** The model's policy, or undefined. */
  async get(model: string): Promise<RetrainPolicyRow | undefined> {
    return normalise(await this.#db.selectFrom('retrain_policies').selectAll().where('model', '=', model).executeTakeFirst());
  }

  /** Every policy, by model. */
  async list(): Promise<RetrainPolicyRow[]> {
    const rows = await this.#db.selectFrom('retrain_policies').selectAll().orderBy('model').execute();
    return rows.map((r) => normalise(r)!);
  }

  /** Sets the model's policy (keeping what its triggers have seen, or starting with `state`). */
  async put(model: string, policy: string, state: string, now: string): Promise<RetrainPolicyRow> {
    return this.#db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('retrain_policies').select(['revision']).where('model', '=', model).executeTakeFirst();
      if (existing) {
        await trx
          .updateTable('retrain_policies')
          .set((eb) => ({ policy, updated_at: now, revision: eb('revision', '+', 1) }))
          .where('model', '=', model)
          .execute();
      } else {
        await trx.insertInto('retrain_policies').values({ model, policy, state, updated_at: now, revision: 1 }).execute();
      }
      return normalise(await trx.selectFrom('retrain_policies').selectAll().where('model', '=', model).executeTakeFirst())!;
    });
  }

  /** Removes the model's policy; false when it had none. */
  async remove(model: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('retrain_policies').where('model', '=', model).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Writes what the triggers have seen, if the row is still at `revision`; false otherwise. */
  async setState(model: string, revision: number, state: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('retrain_policies')
      .set((eb) => ({ state, revision: eb('revision', '+', 1) }))
      .where('model', '=', model)
      .where('revision', '=', revision)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}

/** Revisions as numbers, whatever the driver hands back. */
function normalise(row: RetrainPolicyRow | undefined): RetrainPolicyRow | undefined {
  return row ? { ...row, revision: Number(row.revision) } : undefined;
}
