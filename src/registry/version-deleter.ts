/**
 * Deleting versions: the metadata in one change transaction, then the blobs and the unpacked
 * bundle that no other version uses.
 */
import type { Kysely } from 'kysely';
import { Errors } from '../core/errors.js';
import { validateModelName } from '../core/names.js';
import type { BlobStore } from '../store/blob-store.js';
import { stillReferenced } from '../store/blob-references.js';
import type { StoreTables } from '../store/store-tables.js';
import type { BundleCache } from './bundle-cache.js';
import { readDeployment, removeDeployment } from './deployment-writer.js';
import type { ChangeLog } from './change-log.js';
import type { AuditActor, DeleteResult } from './registry-records.js';
import { toVersionRecord } from './registry-reads.js';

/** What the deleter works with. */
export interface VersionDeleterOptions {
  readonly db: Kysely<StoreTables>;
  readonly changes: ChangeLog;
  readonly blobs: BlobStore;
  readonly bundles: BundleCache;
  /** How long a blob just stored or reused is safe from deletion, in ms. */
  readonly graceMs: number;
}

/** The registry's deletion. */
export class VersionDeleter {
  readonly #options: VersionDeleterOptions;

  constructor(options: VersionDeleterOptions) {
    this.#options = options;
  }

  /**
   * Deletes a version. Refused with BERTH_REGISTRY_VERSION_IN_USE while an alias points at it,
   * and BERTH_DEPLOYMENT_VERSION_IN_USE while its model's deployment names it, unless `force`,
   * which removes those aliases (and clears that deployment) too. Blobs that no other version uses are then
   * removed (those stored or reused within the grace time are left for garbage collection, as a
   * register running beside us may be about to reference them).
   */
  async deleteVersion(model: string, version: number, force: boolean, actor: AuditActor): Promise<DeleteResult> {
    validateModelName(model);
    const { db, changes, blobs, bundles, graceMs } = this.#options;
    const outcome = await changes.change(actor, async (trx, log) => {
      const row = await trx.selectFrom('versions').select(['model', 'number', 'digest', 'size', 'created_at', 'source', 'tags']).where('model', '=', model).where('number', '=', version).executeTakeFirst();
      if (!row) {
        const known = await trx.selectFrom('models').select('name').where('name', '=', model).executeTakeFirst();
        if (!known) throw Errors.REGISTRY_MODEL_NOT_FOUND.create(model);
        throw Errors.REGISTRY_VERSION_NOT_FOUND.create(model, String(version));
      }
      const aliases = (await trx.selectFrom('aliases').select('name').where('model', '=', model).where('number', '=', version).orderBy('name').execute()).map((a) => a.name);
      if (aliases.length > 0 && !force) throw Errors.REGISTRY_VERSION_IN_USE.create(model, version, aliases);
      const deployment = await readDeployment(trx, model);
      const deployed = deployment !== null && [...deployment.variants, ...deployment.shadows].some((v) => v.version === version);
      if (deployed && !force) throw Errors.DEPLOYMENT_VERSION_IN_USE.create(model, version);
      if (deployed) await removeDeployment(trx, log, deployment, `version ${version} deleted`);
      for (const alias of aliases) {
        await trx.deleteFrom('aliases').where('model', '=', model).where('name', '=', alias).execute();
        await log({ action: 'alias.remove', model, alias, version, details: { digest: row.digest, reason: 'version deleted' } });
      }
      const files = await trx.selectFrom('version_files').select('digest').where('model', '=', model).where('number', '=', version).execute();
      await trx.deleteFrom('version_files').where('model', '=', model).where('number', '=', version).execute();
      const kept = await trx.selectFrom('version_data').select('digest').where('model', '=', model).where('number', '=', version).execute();
      await trx.deleteFrom('version_data').where('model', '=', model).where('number', '=', version).execute();
      await trx.deleteFrom('versions').where('model', '=', model).where('number', '=', version).execute();
      await log({ action: 'version.delete', model, version, details: { digest: row.digest, forced: aliases.length > 0 } });
      return { record: toVersionRecord(row, aliases.map((alias) => ({ model, alias, version }))), aliases, digests: [...new Set([...files, ...kept].map((f) => f.digest))] };
    });

    let blobsRemoved = 0;
    const stillUsed = await stillReferenced(db, outcome.digests);
    for (const digest of outcome.digests) {
      if (!stillUsed.has(digest) && (await blobs.delete(digest, { graceMs }))) blobsRemoved++;
    }
    const sameBundle = await db.selectFrom('versions').select('number').where('digest', '=', outcome.record.digest).executeTakeFirst();
    if (!sameBundle) await bundles.remove(outcome.record.digest);
    return { deleted: outcome.record, aliasesRemoved: outcome.aliases, blobsRemoved };
  }
}
