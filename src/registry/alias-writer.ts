/** Moving, rolling back and removing aliases, each in a change transaction with its audit entry. */
import type { Kysely } from 'kysely';
import { Errors } from '../core/errors.js';
import { validateAliasName, validateModelName } from '../core/names.js';
import type { StoreTables } from '../store/store-tables.js';
import type { ChangeLog, Log, Trx } from './change-log.js';
import type { AliasChange, AliasRecord, AuditActor, RollbackPlan } from './registry-records.js';
import { type AliasMove, rollbackTarget } from './rollback-target.js';

/** The registry's alias changes. */
export class AliasWriter {
  readonly #changes: ChangeLog;
  readonly #now: () => Date;

  constructor(changes: ChangeLog, now: () => Date) {
    this.#changes = changes;
    this.#now = now;
  }

  /**
   * Points `alias` of `model` at `version` (creating or moving it). Throws
   * BERTH_REGISTRY_ALIAS_ALREADY_SET when it already points there, and the not-found errors.
   */
  async setAlias(model: string, alias: string, version: number, actor: AuditActor): Promise<AliasChange> {
    validateModelName(model);
    validateAliasName(alias);
    return this.#changes.change(actor, async (trx, log) => {
      const target = await trx.selectFrom('versions').select('digest').where('model', '=', model).where('number', '=', version).executeTakeFirst();
      if (!target) {
        const known = await trx.selectFrom('models').select('name').where('name', '=', model).executeTakeFirst();
        if (!known) throw Errors.REGISTRY_MODEL_NOT_FOUND.create(model);
        throw Errors.REGISTRY_VERSION_NOT_FOUND.create(model, String(version));
      }
      const at = this.#now().toISOString();
      const change = await moveAlias(trx, log, model, alias, version, at);
      if (!change) throw Errors.REGISTRY_ALIAS_ALREADY_SET.create(model, alias, version);
      return { model, alias, version, digest: target.digest, updated: at, previous: change.previous };
    });
  }

  /**
   * Points `alias` back at the version it served before (see rollbackTarget), in one change that
   * reads the audit log and moves the alias; the audit entry says it was a roll back. Throws
   * BERTH_REGISTRY_ROLLBACK_UNAVAILABLE when there is no earlier version, and the not-found errors.
   */
  async rollback(model: string, alias: string, actor: AuditActor, reason?: string): Promise<AliasChange> {
    validateModelName(model);
    validateAliasName(alias);
    return this.#changes.change(actor, async (trx, log) => {
      const plan = await planRollback(trx, model, alias);
      if (plan.target === null) throw Errors.REGISTRY_ROLLBACK_UNAVAILABLE.create(model, alias, plan.version);
      const { digest } = await trx.selectFrom('versions').select('digest').where('model', '=', model).where('number', '=', plan.target).executeTakeFirstOrThrow();
      const at = this.#now().toISOString();
      await moveAlias(trx, log, model, alias, plan.target, at, { rollback: true, ...(reason !== undefined ? { reason } : {}) });
      return { model, alias, version: plan.target, digest, updated: at, previous: plan.version };
    });
  }

  /** Removes an alias. Throws BERTH_REGISTRY_ALIAS_NOT_FOUND (or _MODEL_NOT_FOUND). Returns what it pointed at. */
  async removeAlias(model: string, alias: string, actor: AuditActor): Promise<AliasRecord> {
    validateModelName(model);
    validateAliasName(alias);
    return this.#changes.change(actor, async (trx, log) => {
      const row = await trx
        .selectFrom('aliases')
        .innerJoin('versions', (join) => join.onRef('versions.model', '=', 'aliases.model').onRef('versions.number', '=', 'aliases.number'))
        .select(['aliases.number', 'aliases.updated_at', 'versions.digest'])
        .where('aliases.model', '=', model)
        .where('aliases.name', '=', alias)
        .executeTakeFirst();
      if (!row) {
        const known = await trx.selectFrom('models').select('name').where('name', '=', model).executeTakeFirst();
        if (!known) throw Errors.REGISTRY_MODEL_NOT_FOUND.create(model);
        throw Errors.REGISTRY_ALIAS_NOT_FOUND.create(model, alias);
      }
      await trx.deleteFrom('aliases').where('model', '=', model).where('name', '=', alias).execute();
      await log({ action: 'alias.remove', model, alias, version: row.number, details: { digest: row.digest } });
      return { model, alias, version: row.number, digest: row.digest, updated: row.updated_at };
    });
  }
}

/**
 * Where `alias` of `model` would roll back to (see rollbackTarget), read from the aliases, the
 * versions and the audit log in `db` (a transaction or the database). Throws
 * BERTH_REGISTRY_MODEL_NOT_FOUND or _ALIAS_NOT_FOUND.
 */
export async function planRollback(db: Kysely<StoreTables>, model: string, alias: string): Promise<RollbackPlan> {
  const current = await db.selectFrom('aliases').select('number').where('model', '=', model).where('name', '=', alias).executeTakeFirst();
  if (!current) {
    const known = await db.selectFrom('models').select('name').where('name', '=', model).executeTakeFirst();
    if (!known) throw Errors.REGISTRY_MODEL_NOT_FOUND.create(model);
    throw Errors.REGISTRY_ALIAS_NOT_FOUND.create(model, alias);
  }
  const versions = await db.selectFrom('versions').select('number').where('model', '=', model).execute();
  const entries = await db
    .selectFrom('audit_log')
    .select(['seq', 'version', 'details'])
    .where('model', '=', model)
    .where('alias', '=', alias)
    .where('action', '=', 'alias.set')
    .execute();
  const moves = entries.flatMap((e): AliasMove[] => {
    if (e.version === null) return [];
    const previous = (JSON.parse(e.details) as { previous?: unknown }).previous;
    return [{ seq: Number(e.seq), version: Number(e.version), previous: typeof previous === 'number' ? previous : null }];
  });
  const version = Number(current.number);
  return { model, alias, version, target: rollbackTarget(moves, version, new Set(versions.map((v) => Number(v.number)))) };
}

/** Points an alias at a version inside a change; undefined when it already pointed there. */
export async function moveAlias(
  trx: Trx,
  log: Log,
  model: string,
  alias: string,
  number: number,
  at: string,
  details: Readonly<Record<string, unknown>> = {},
): Promise<{ previous: number | null } | undefined> {
  const current = await trx.selectFrom('aliases').select('number').where('model', '=', model).where('name', '=', alias).executeTakeFirst();
  if (current?.number === number) return undefined;
  if (current) {
    await trx.updateTable('aliases').set({ number, updated_at: at }).where('model', '=', model).where('name', '=', alias).execute();
  } else {
    await trx.insertInto('aliases').values({ model, name: alias, number, updated_at: at }).execute();
  }
  const previous = current?.number ?? null;
  await log({ action: 'alias.set', model, alias, version: number, details: { previous, ...details } });
  return { previous };
}
