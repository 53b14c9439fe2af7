/** Moving and removing aliases, each in a change transaction with its audit entry. */
import { Errors } from '../core/errors.js';
import { validateAliasName, validateModelName } from '../core/names.js';
import type { ChangeLog, Log, Trx } from './change-log.js';
import type { AliasChange, AliasRecord, AuditActor } from './registry-records.js';

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

/** Points an alias at a version inside a change; undefined when it already pointed there. */
export async function moveAlias(trx: Trx, log: Log, model: string, alias: string, number: number, at: string): Promise<{ previous: number | null } | undefined> {
  const current = await trx.selectFrom('aliases').select('number').where('model', '=', model).where('name', '=', alias).executeTakeFirst();
  if (current?.number === number) return undefined;
  if (current) {
    await trx.updateTable('aliases').set({ number, updated_at: at }).where('model', '=', model).where('name', '=', alias).execute();
  } else {
    await trx.insertInto('aliases').values({ model, name: alias, number, updated_at: at }).execute();
  }
  const previous = current?.number ?? null;
  await log({ action: 'alias.set', model, alias, version: number, details: { previous } });
  return { previous };
}
