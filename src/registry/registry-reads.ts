/** Reading the registry: models, versions, aliases, and which version a reference names. */
import type { Kysely } from 'kysely';
import { Errors } from '../core/errors.js';
import { DEFAULT_ALIAS, type ModelRef, defaultVersion, parseModelRef } from '../core/model-ref.js';
import { validateModelName } from '../core/names.js';
import type { StoreTables } from '../store/store-tables.js';
import type { BundleManifest } from './bundle-manifest.js';
import type { AliasRecord, ModelRecord, VersionDetail, VersionFileRecord, VersionRecord } from './registry-records.js';

/** The registry's reads. */
export class RegistryReads {
  readonly #db: Kysely<StoreTables>;

  constructor(db: Kysely<StoreTables>) {
    this.#db = db;
  }

  /** Every model, by name. */
  async listModels(): Promise<ModelRecord[]> {
    const rows = await this.#db
      .selectFrom('models')
      .leftJoin('versions', 'versions.model', 'models.name')
      .select((eb) => ['models.name', 'models.created_at', eb.fn.count<number>('versions.number').as('count'), eb.fn.max<number | null>('versions.number').as('latest')])
      .groupBy(['models.name', 'models.created_at'])
      .orderBy('models.name')
      .execute();
    const aliases = await this.listAliases();
    return rows.map((row) => ({
      name: row.name,
      created: row.created_at,
      versions: Number(row.count),
      latestVersion: row.latest === null || row.latest === undefined ? null : Number(row.latest),
      aliases: Object.fromEntries(aliases.filter((a) => a.model === row.name).map((a) => [a.alias, a.version])),
    }));
  }

  /** One model. Throws BERTH_REGISTRY_MODEL_NOT_FOUND. */
  async getModel(name: string): Promise<ModelRecord> {
    validateModelName(name);
    const found = (await this.listModels()).find((m) => m.name === name);
    if (!found) throw Errors.REGISTRY_MODEL_NOT_FOUND.create(name);
    return found;
  }

  /** The versions of a model, oldest first. Throws BERTH_REGISTRY_MODEL_NOT_FOUND. */
  async listVersions(model: string): Promise<VersionRecord[]> {
    validateModelName(model);
    const rows = await this.#db
      .selectFrom('versions')
      .select(['model', 'number', 'digest', 'size', 'created_at', 'source', 'tags'])
      .where('model', '=', model)
      .orderBy('number')
      .execute();
    if (rows.length === 0) await this.requireModel(model);
    const aliases = await this.listAliases(model);
    return rows.map((row) => toVersionRecord(row, aliases));
  }

  /** A version with its manifest and files. Throws BERTH_REGISTRY_MODEL_NOT_FOUND or _VERSION_NOT_FOUND. */
  async getVersion(model: string, version: number): Promise<VersionDetail> {
    validateModelName(model);
    const row = await this.#db.selectFrom('versions').selectAll().where('model', '=', model).where('number', '=', version).executeTakeFirst();
    if (!row) {
      await this.requireModel(model);
      throw Errors.REGISTRY_VERSION_NOT_FOUND.create(model, String(version));
    }
    const files = await this.#db.selectFrom('version_files').select(['path', 'digest', 'size']).where('model', '=', model).where('number', '=', version).orderBy('path').execute();
    const aliases = await this.listAliases(model);
    return {
      ...toVersionRecord(row, aliases),
      // Validated when it was registered; parsed, not re-validated, so that a later, stricter
      // Berth can still read every version it has.
      manifest: JSON.parse(row.manifest) as BundleManifest,
      files: files.map((f): VersionFileRecord => ({ path: f.path, digest: f.digest, size: Number(f.size) })),
    };
  }

  /**
   * The version a reference names: `model` (its default version: production, else the latest),
   * `model:3` or `model@alias`.
   * Throws BERTH_REGISTRY_REFERENCE_INVALID, _MODEL_NOT_FOUND, _VERSION_NOT_FOUND or _ALIAS_NOT_FOUND.
   */
  async resolve(reference: string | ModelRef): Promise<VersionDetail> {
    const ref = typeof reference === 'string' ? parseModelRef(reference) : reference;
    return this.getVersion(ref.model, await this.#versionNumber(ref));
  }

  /** Every alias of one model, or of all models, sorted by model and alias. */
  async listAliases(model?: string): Promise<AliasRecord[]> {
    let query = this.#db
      .selectFrom('aliases')
      .innerJoin('versions', (join) => join.onRef('versions.model', '=', 'aliases.model').onRef('versions.number', '=', 'aliases.number'))
      .select(['aliases.model', 'aliases.name', 'aliases.number', 'aliases.updated_at', 'versions.digest'])
      .orderBy('aliases.model')
      .orderBy('aliases.name');
    if (model !== undefined) query = query.where('aliases.model', '=', model);
    const rows = await query.execute();
    return rows.map((r) => ({ model: r.model, alias: r.name, version: r.number, digest: r.digest, updated: r.updated_at }));
  }

  /** Throws BERTH_REGISTRY_MODEL_NOT_FOUND when `model` is not registered. */
  async requireModel(model: string): Promise<void> {
    const row = await this.#db.selectFrom('models').select('name').where('name', '=', model).executeTakeFirst();
    if (!row) throw Errors.REGISTRY_MODEL_NOT_FOUND.create(model);
  }

  async #versionNumber(ref: ModelRef): Promise<number> {
    const db = this.#db;
    if (ref.kind === 'version') return ref.version;
    if (ref.kind === 'alias') {
      const row = await db.selectFrom('aliases').select('number').where('model', '=', ref.model).where('name', '=', ref.alias).executeTakeFirst();
      if (row) return row.number;
      await this.requireModel(ref.model);
      throw Errors.REGISTRY_ALIAS_NOT_FOUND.create(ref.model, ref.alias);
    }
    const [latest, production] = await Promise.all([
      db.selectFrom('versions').select((eb) => eb.fn.max<number | null>('number').as('latest')).where('model', '=', ref.model).executeTakeFirst(),
      db.selectFrom('aliases').select('number').where('model', '=', ref.model).where('name', '=', DEFAULT_ALIAS).executeTakeFirst(),
    ]);
    const number = defaultVersion({
      aliases: production === undefined ? {} : { [DEFAULT_ALIAS]: production.number },
      latestVersion: latest?.latest === null || latest?.latest === undefined ? undefined : Number(latest.latest),
    });
    if (number !== undefined) return number;
    await this.requireModel(ref.model);
    throw Errors.REGISTRY_VERSION_NOT_FOUND.create(ref.model, 'at all');
  }
}

/** A version's row as a record, with the aliases (of any version) that point at it. */
export function toVersionRecord(
  row: { readonly model: string; readonly number: number; readonly digest: string; readonly size: number; readonly created_at: string; readonly source: string; readonly tags: string },
  aliases: readonly { readonly model: string; readonly alias: string; readonly version: number }[],
): VersionRecord {
  return {
    model: row.model,
    version: Number(row.number),
    digest: row.digest,
    size: Number(row.size),
    created: row.created_at,
    source: row.source,
    tags: JSON.parse(row.tags) as Record<string, string>,
    aliases: aliases.filter((a) => a.model === row.model && a.version === Number(row.number)).map((a) => a.alias).sort(),
  };
}
