/**
 * Named leases in the metadata database: periodic work that must happen once across replicas
 * (evaluating alert rules, so each transition notifies once) runs on the replica holding the
 * lease. A holder renews it on each run; when it stops, another takes over after `ttlMs`.
 */
import { type Kysely } from 'kysely';
import { type StoreTables } from '../store/store-tables.js';
import { iso } from './window-store.js';

/** Takes or renews the lease `name` for `holder` until now + ttlMs; true when `holder` has it. */
export async function acquireLease(db: Kysely<StoreTables>, name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
  const expires = iso(now + ttlMs);
  await db
    .insertInto('monitor_leases')
    .values({ name, holder, expires_at: iso(now - 1) })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  // One statement: of two replicas racing for an expired lease, the second finds it renewed.
  const result = await db
    .updateTable('monitor_leases')
    .set({ holder, expires_at: expires })
    .where('name', '=', name)
    .where((eb) => eb.or([eb('holder', '=', holder), eb('expires_at', '<', iso(now))]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Gives the lease up (on shutdown) so another replica takes over at once. */
export async function releaseLease(db: Kysely<StoreTables>, name: string, holder: string): Promise<void> {
  await db.deleteFrom('monitor_leases').where('name', '=', name).where('holder', '=', holder).execute();
}
