/**
 * The registry's change log: every change runs in a change transaction that first updates the
 * single change-counter row, which serialises writers (on PostgreSQL by its row lock, on SQLite by
 * BEGIN IMMEDIATE), and each audit entry takes the next sequence number. So sequence numbers
 * commit in order, and a server that polls {@link ChangeLog.sequence} and reads
 * {@link ChangeLog.entries} after the last number it saw never misses a change.
 */
import type { Kysely, Transaction } from 'kysely';
import type { StoreTables } from '../store/store-tables.js';
import type { AuditAction, AuditActor, AuditEntry } from './registry-records.js';

/** Options for {@link ChangeLog.entries} (Registry.auditLog). */
export interface AuditLogOptions {
  /** Only entries with a sequence number above this one. */
  readonly after?: number;
  readonly model?: string;
  /** At most this many entries; default 1000. */
  readonly limit?: number;
  /** `asc` (default) from oldest; `desc` from newest. */
  readonly order?: 'asc' | 'desc';
}

/** A transaction of the metadata database. */
export type Trx = Transaction<StoreTables>;

/** An audit entry as a change writes it. */
export interface AuditInput {
  readonly action: AuditAction;
  readonly model?: string;
  readonly version?: number;
  readonly alias?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Appends an audit entry to the change in progress; returns its sequence number. */
export type Log = (entry: AuditInput) => Promise<number>;

/** Change transactions and the audit log. */
export class ChangeLog {
  readonly #db: Kysely<StoreTables>;
  readonly #now: () => Date;

  constructor(db: Kysely<StoreTables>, now: () => Date) {
    this.#db = db;
    this.#now = now;
  }

  /**
   * Runs `work` in a change transaction: the counter row is updated first (the lock that orders
   * all changes), and `log` appends audit entries by `actor` with the next sequence numbers.
   */
  change<T>(actor: AuditActor, work: (trx: Trx, log: Log) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute(async (trx) => {
      await trx
        .updateTable('change_counter')
        .set((eb) => ({ seq: eb.ref('seq') }))
        .where('id', '=', 1)
        .execute();
      const at = this.#now().toISOString();
      const log: Log = async (entry) => {
        const { seq } = await trx
          .updateTable('change_counter')
          .set((eb) => ({ seq: eb('seq', '+', 1) }))
          .where('id', '=', 1)
          .returning('seq')
          .executeTakeFirstOrThrow();
        await trx
          .insertInto('audit_log')
          .values({
            seq: Number(seq),
            at,
            interface: actor.interface,
            actor: actor.actor ?? null,
            action: entry.action,
            model: entry.model ?? null,
            version: entry.version ?? null,
            alias: entry.alias ?? null,
            details: JSON.stringify(entry.details ?? {}),
          })
          .execute();
        return Number(seq);
      };
      return work(trx, log);
    });
  }

  /** The sequence number of the last change committed (0 for none): one indexed read. */
  async sequence(): Promise<number> {
    const row = await this.#db.selectFrom('change_counter').select('seq').where('id', '=', 1).executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  /** Entries of the audit log; by default the first 1000 from the oldest. */
  async entries(options: AuditLogOptions = {}): Promise<AuditEntry[]> {
    let query = this.#db.selectFrom('audit_log').selectAll();
    if (options.after !== undefined) query = query.where('seq', '>', options.after);
    if (options.model !== undefined) query = query.where('model', '=', options.model);
    const rows = await query
      .orderBy('seq', options.order ?? 'asc')
      .limit(options.limit ?? 1000)
      .execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: r.at,
      interface: r.interface,
      actor: r.actor,
      action: r.action as AuditAction,
      model: r.model,
      version: r.version === null ? null : Number(r.version),
      alias: r.alias,
      details: JSON.parse(r.details) as Record<string, unknown>,
    }));
  }
}
