/** The shape of one migration of the metadata database. */
import type { Kysely } from 'kysely';

/** Which database a store runs on. */
export type StoreKind = 'sqlite' | 'postgres';

/**
 * One step of the metadata database's schema. `up` runs in a transaction on both dialects (SQLite
 * supports transactional DDL; the store turns it on), so a crash mid-migration leaves nothing
 * half-made. Write portable Kysely schema code; `kind` is there for the rare difference.
 */
export interface StoreMigration {
  // The schema being built is not the final StoreTables type, so migrations take Kysely<any>,
  // as Kysely's own migration guide recommends.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  up(db: Kysely<any>, kind: StoreKind): Promise<void>;
}
