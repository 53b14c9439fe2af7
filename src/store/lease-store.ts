/**
 * Named leases in the metadata database: periodic work that must happen once across replicas
 * (evaluating alert rules, so each transition notifies once) runs on the replica holding the
 * lease. A holder renews it on each run; when it stops, another takes over after the lease's time.
 */
import type { Kysely } from 'kysely';
import { isoTime } from './iso-time.js';
import type { StoreTables } from './store-tables.js';

/** Named leases. */
export interface LeaseStore {
  /** Takes or renews the lease `name` for `holder` until now + ttlMs (epoch ms); true when `holder` has it. */
  acquire(name: string, holder: string, ttlMs: number, now: number): Promise<boolean>;
  /** Gives the lease up (on shutdown) so another replica takes over at once. */
  release(name: string, holder: string): Promise<void>;
}

/** The lease store over a Kysely database of either dialect. */
export class KyselyLeaseStore implements LeaseStore {
  readonly #db: Kysely<StoreTables>;

  constructor(db: Kysely<StoreTables>) {
    this.#db = db;
  }

  async acquire(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    await this.#db
      .insertInto('monitor_leases')
      .values({ name, holder, expires_at: isoTime(now - 1) })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    // One statement: of two replicas racing for an expired lease, the second finds it renewed.
    const result = await this.#db
      .updateTable('monitor_leases')
      .set({ holder, expires_at: isoTime(now + ttlMs) })
      .where('name', '=', name)
      .where((eb) => eb.or([eb('holder', '=', holder), eb('expires_at', '<', isoTime(now))]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async release(name: string, holder: string): Promise<void> {
    await this.#db.deleteFrom('monitor_leases').where('name', '=', name).where('holder', '=', holder).execute();
  }
}
