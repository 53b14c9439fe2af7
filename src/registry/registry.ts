/**
 * The registry: bundles stored as numbered, immutable versions of named models, aliases that
 * point at versions, and an audit log of every change, over the metadata store and the blob
 * store.
 *
 * Crash safety (after BentoML's Store.register): registering stores every file as a blob first
 * (each one durable and atomic), and only then writes all metadata in one transaction. A process
 * killed at any moment leaves either no version, or a version whose blobs are all there; a
 * re-run finds the blobs already stored and finishes the job.
 *
 * Change tracking: every change transaction first updates the single change-counter row, which
 * serialises writers (on PostgreSQL by its row lock, on SQLite by BEGIN IMMEDIATE), and each
 * audit entry takes the next sequence number. So sequence numbers commit in order, and a server
 * that polls {@link Registry.changeSequence} and reads {@link Registry.auditLog} after the last
 * number it saw never misses a change.
 */
import { mkdir, mkdtemp, readFile, readdir, rename, rm, stat, chmod, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Kysely, Transaction } from 'kysely';
import { BerthError, Errors } from '../core/errors.js';
import { describeOnnx } from '../core/signature-from-onnx.js';
import { type BlobStore, digestHex } from '../store/blob-store.js';
import { temporarySibling } from '../store/durable-files.js';
import type { MetadataStore } from '../store/metadata-store.js';
import type { StoreTables } from '../store/store-tables.js';
import { type Bundle, loadBundle } from './bundle.js';
import { exportBundle, looksLikeArchive, importBundle } from './bundle-archive.js';
import { type BundleManifest, MANIFEST_FILE } from './bundle-manifest.js';
import { canonicalJson } from './canonical-json.js';
import { validateAliasName, validateModelName } from '../core/names.js';
import { packageModel } from './package-model.js';
import type {
  AliasChange,
  AliasRecord,
  AuditAction,
  AuditActor,
  AuditEntry,
  DeleteResult,
  ModelRecord,
  OpenedVersion,
  RegisterResult,
  VersionDetail,
  VersionFileRecord,
  VersionRecord,
} from './registry-records.js';
import { DEFAULT_ALIAS, type ModelRef, defaultVersion, parseModelRef } from '../core/model-ref.js';

/** How long a blob just stored or reused is safe from deletion by a concurrent delete, in ms. */
const DEFAULT_BLOB_GRACE_MS = 60_000;
/** Temporary work older than this is a crashed process's leftover, in ms. */
const DEFAULT_TEMPORARY_AGE_MS = 60 * 60_000;

/** Options for {@link Registry}. */
export interface RegistryOptions {
  readonly store: MetadataStore;
  readonly blobs: BlobStore;
  /** BERTH_HOME: temporary work goes to `tmp/`, bundles unpacked from blobs to `bundles/`. */
  readonly home: string;
  /** Who changes are attributed to when a call does not say; default `{ interface: 'sdk' }`. */
  readonly actor?: AuditActor;
  /** See collectGarbage; default one minute. */
  readonly blobGraceMs?: number;
  /** The clock, for tests. */
  readonly now?: () => Date;
  /** Close the store (and the blob store) when the registry is closed; default true. */
  readonly ownsStore?: boolean;
}

/** Options of calls that change the registry. */
export interface ChangeOptions {
  /** Attribute the change to this actor instead of the registry's default. */
  readonly actor?: AuditActor | undefined;
}

/** Options for {@link Registry.register}. */
export interface RegisterOptions extends ChangeOptions {
  /** Model name; default the bundle's name (for a plain .onnx file, the file name without .onnx). */
  readonly name?: string | undefined;
  /** Aliases to point at the version, in the same transaction. */
  readonly aliases?: readonly string[] | undefined;
  /** Tags of the version, added to the bundle's own. */
  readonly tags?: Readonly<Record<string, string>> | undefined;
  /** Description, when packaging a plain .onnx file (a bundle's own is immutable). */
  readonly description?: string | undefined;
  /** Where it came from, for the record; default derived from the path. */
  readonly source?: string | undefined;
}

/** Options for {@link Registry.auditLog}. */
export interface AuditLogOptions {
  /** Only entries with a sequence number above this one. */
  readonly after?: number;
  readonly model?: string;
  /** At most this many entries; default 1000. */
  readonly limit?: number;
  /** `asc` (default) from oldest; `desc` from newest. */
  readonly order?: 'asc' | 'desc';
}

type Trx = Transaction<StoreTables>;
interface AuditInput {
  readonly action: AuditAction;
  readonly model?: string;
  readonly version?: number;
  readonly alias?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}
type Log = (entry: AuditInput) => Promise<number>;

/**
 * Models, versions and aliases. One instance per process is enough; it is safe to share between
 * concurrent callers, and several processes may use one database and blob store at once.
 *
 * @example
 *   const registry = await openRegistry({ home: '.berth' });
 *   const { version } = await registry.register('mlp.onnx', { name: 'digits', aliases: ['staging'] });
 *   const { bundle } = await registry.openBundle('digits@staging');
 *   await registry.close();
 */
export class Registry {
  readonly #store: MetadataStore;
  readonly #blobs: BlobStore;
  readonly #temporary: string;
  readonly #cache: string;
  readonly #actor: AuditActor;
  readonly #graceMs: number;
  readonly #now: () => Date;
  readonly #ownsStore: boolean;
  #closed: Promise<void> | undefined;

  constructor(options: RegistryOptions) {
    this.#store = options.store;
    this.#blobs = options.blobs;
    this.#temporary = join(resolve(options.home), 'tmp');
    this.#cache = join(resolve(options.home), 'bundles');
    this.#actor = options.actor ?? { interface: 'sdk' };
    this.#graceMs = options.blobGraceMs ?? DEFAULT_BLOB_GRACE_MS;
    this.#now = options.now ?? (() => new Date());
    this.#ownsStore = options.ownsStore ?? true;
  }

  /**
   * The metadata database, for services that keep their own tables beside the registry's (the
   * monitor): sharing the registry's connection keeps SQLite writers in one queue.
   */
  get database(): Kysely<StoreTables> {
    return this.#store.db;
  }

  /** The metadata store itself, for services that keep stores of their own in it (monitorStores). */
  get store(): MetadataStore {
    return this.#store;
  }

  /** Where the metadata lives, for messages. */
  get description(): string {
    return `${this.#store.description} with ${this.#blobs.description}`;
  }

  // ---------------------------------------------------------------- registering

  /**
   * Registers a bundle folder, a `.berth` archive or a plain `.onnx` file (packaged on the way)
   * as a new version. A bundle whose digest is already a version of the model returns that
   * version (`created: false`) and still sets the requested aliases. Throws bundle errors for bad
   * input, BERTH_REGISTRY_NAME_INVALID for a bad name; writes nothing then.
   */
  async register(path: string, options: RegisterOptions = {}): Promise<RegisterResult> {
    this.#ensureOpen();
    const source = resolve(path);
    const s = await stat(source).catch(() => undefined);
    if (!s) throw Errors.BUNDLE_NOT_FOUND.create(source, 'no such file or folder');
    if (s.isDirectory()) return this.registerBundle(await loadBundle(source), { ...options, source: options.source ?? `bundle:${source}` });
    await mkdir(this.#temporary, { recursive: true });
    const work = await mkdtemp(join(this.#temporary, 'register-'));
    try {
      if (await looksLikeArchive(source)) {
        const bundle = await importBundle(source, join(work, 'bundle'));
        return await this.registerBundle(bundle, { ...options, source: options.source ?? `archive:${source}` });
      }
      const bundle = await packageModel(source, {
        outDir: join(work, 'bundle'),
        name: options.name,
        description: options.description,
        // Only the bundle's digest decides what is a new version, so the packaging time is left
        // out of it; a re-run of the same command finds the version it made before.
      });
      return await this.registerBundle(bundle, { ...options, source: options.source ?? `file:${source}` });
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** Registers a verified bundle; see {@link register}. */
  async registerBundle(bundle: Bundle, options: RegisterOptions & { readonly source: string }): Promise<RegisterResult> {
    this.#ensureOpen();
    const name = validateModelName(options.name ?? bundle.manifest.name);
    const aliases = [...new Set((options.aliases ?? []).map(validateAliasName))];
    const actor = options.actor ?? this.#actor;
    await checkSignature(bundle);
    const tags = { ...bundle.manifest.tags, ...(options.tags ?? {}) };

    // 1. Blobs first: after this, every file the version will name is durable in the blob store.
    await this.#storeBlobs(bundle);

    // 2. Then all metadata, or none of it, in one transaction.
    const outcome = await this.#change(actor, async (trx, log) => {
      const at = this.#now().toISOString();
      const inserted = await trx
        .insertInto('models')
        .values({ name, created_at: at, last_version: 0 })
        .onConflict((oc) => oc.column('name').doNothing())
        .returning('name')
        .executeTakeFirst();
      if (inserted) await log({ action: 'model.create', model: name });
      const existing = await trx.selectFrom('versions').select('number').where('model', '=', name).where('digest', '=', bundle.digest).executeTakeFirst();
      let number: number;
      if (existing) {
        number = existing.number;
      } else {
        const bumped = await trx
          .updateTable('models')
          .set((eb) => ({ last_version: eb('last_version', '+', 1) }))
          .where('name', '=', name)
          .returning('last_version')
          .executeTakeFirstOrThrow();
        number = bumped.last_version;
        await trx
          .insertInto('versions')
          .values({
            model: name,
            number,
            digest: bundle.digest,
            size: bundle.size,
            created_at: at,
            source: options.source,
            tags: JSON.stringify(tags),
            manifest: bundle.manifestText,
          })
          .execute();
        await trx
          .insertInto('version_files')
          .values(bundle.manifest.files.map((f) => ({ model: name, number, path: f.path, digest: f.sha256, size: f.size })))
          .execute();
        await log({ action: 'version.register', model: name, version: number, details: { digest: bundle.digest, size: bundle.size, source: options.source } });
      }
      const aliasesSet: string[] = [];
      for (const alias of aliases) {
        const change = await this.#moveAlias(trx, log, name, alias, number, at);
        if (change) aliasesSet.push(alias);
      }
      return { number, created: !existing, aliasesSet };
    });

    // 3. A delete running beside us may have removed a blob we reused just before we committed
    // (see deleteVersion); put back anything missing, from the bundle we still hold.
    await this.#storeBlobs(bundle, true);
    return { version: await this.getVersion(name, outcome.number), created: outcome.created, aliasesSet: outcome.aliasesSet };
  }

  // ---------------------------------------------------------------- reading

  /** Every model, by name. */
  async listModels(): Promise<ModelRecord[]> {
    this.#ensureOpen();
    const db = this.#store.db;
    const rows = await db
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
    this.#ensureOpen();
    validateModelName(model);
    const db = this.#store.db;
    const rows = await db
      .selectFrom('versions')
      .select(['model', 'number', 'digest', 'size', 'created_at', 'source', 'tags'])
      .where('model', '=', model)
      .orderBy('number')
      .execute();
    if (rows.length === 0) await this.#requireModel(model);
    const aliases = await this.listAliases(model);
    return rows.map((row) => toVersionRecord(row, aliases));
  }

  /** A version with its manifest and files. Throws BERTH_REGISTRY_MODEL_NOT_FOUND or _VERSION_NOT_FOUND. */
  async getVersion(model: string, version: number): Promise<VersionDetail> {
    this.#ensureOpen();
    validateModelName(model);
    const db = this.#store.db;
    const row = await db.selectFrom('versions').selectAll().where('model', '=', model).where('number', '=', version).executeTakeFirst();
    if (!row) {
      await this.#requireModel(model);
      throw Errors.REGISTRY_VERSION_NOT_FOUND.create(model, String(version));
    }
    const files = await db.selectFrom('version_files').select(['path', 'digest', 'size']).where('model', '=', model).where('number', '=', version).orderBy('path').execute();
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
    this.#ensureOpen();
    let query = this.#store.db
      .selectFrom('aliases')
      .innerJoin('versions', (join) => join.onRef('versions.model', '=', 'aliases.model').onRef('versions.number', '=', 'aliases.number'))
      .select(['aliases.model', 'aliases.name', 'aliases.number', 'aliases.updated_at', 'versions.digest'])
      .orderBy('aliases.model')
      .orderBy('aliases.name');
    if (model !== undefined) query = query.where('aliases.model', '=', model);
    const rows = await query.execute();
    return rows.map((r) => ({ model: r.model, alias: r.name, version: r.number, digest: r.digest, updated: r.updated_at }));
  }

  // ---------------------------------------------------------------- aliases

  /**
   * Points `alias` of `model` at `version` (creating or moving it). Throws
   * BERTH_REGISTRY_ALIAS_ALREADY_SET when it already points there, and the not-found errors.
   */
  async setAlias(model: string, alias: string, version: number, options: ChangeOptions = {}): Promise<AliasChange> {
    this.#ensureOpen();
    validateModelName(model);
    validateAliasName(alias);
    return this.#change(options.actor ?? this.#actor, async (trx, log) => {
      const target = await trx.selectFrom('versions').select('digest').where('model', '=', model).where('number', '=', version).executeTakeFirst();
      if (!target) {
        const known = await trx.selectFrom('models').select('name').where('name', '=', model).executeTakeFirst();
        if (!known) throw Errors.REGISTRY_MODEL_NOT_FOUND.create(model);
        throw Errors.REGISTRY_VERSION_NOT_FOUND.create(model, String(version));
      }
      const at = this.#now().toISOString();
      const change = await this.#moveAlias(trx, log, model, alias, version, at);
      if (!change) throw Errors.REGISTRY_ALIAS_ALREADY_SET.create(model, alias, version);
      return { model, alias, version, digest: target.digest, updated: at, previous: change.previous };
    });
  }

  /** Removes an alias. Throws BERTH_REGISTRY_ALIAS_NOT_FOUND (or _MODEL_NOT_FOUND). Returns what it pointed at. */
  async removeAlias(model: string, alias: string, options: ChangeOptions = {}): Promise<AliasRecord> {
    this.#ensureOpen();
    validateModelName(model);
    validateAliasName(alias);
    return this.#change(options.actor ?? this.#actor, async (trx, log) => {
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

  // ---------------------------------------------------------------- deleting

  /**
   * Deletes a version. Refused with BERTH_REGISTRY_VERSION_IN_USE while an alias points at it,
   * unless `force`, which removes those aliases too. Blobs that no other version uses are then
   * removed (those stored or reused within the last minute are left for collectGarbage, as a
   * register running beside us may be about to reference them).
   */
  async deleteVersion(model: string, version: number, options: ChangeOptions & { readonly force?: boolean } = {}): Promise<DeleteResult> {
    this.#ensureOpen();
    validateModelName(model);
    const outcome = await this.#change(options.actor ?? this.#actor, async (trx, log) => {
      const row = await trx.selectFrom('versions').select(['model', 'number', 'digest', 'size', 'created_at', 'source', 'tags']).where('model', '=', model).where('number', '=', version).executeTakeFirst();
      if (!row) {
        const known = await trx.selectFrom('models').select('name').where('name', '=', model).executeTakeFirst();
        if (!known) throw Errors.REGISTRY_MODEL_NOT_FOUND.create(model);
        throw Errors.REGISTRY_VERSION_NOT_FOUND.create(model, String(version));
      }
      const aliases = (await trx.selectFrom('aliases').select('name').where('model', '=', model).where('number', '=', version).orderBy('name').execute()).map((a) => a.name);
      if (aliases.length > 0 && !options.force) throw Errors.REGISTRY_VERSION_IN_USE.create(model, version, aliases);
      for (const alias of aliases) {
        await trx.deleteFrom('aliases').where('model', '=', model).where('name', '=', alias).execute();
        await log({ action: 'alias.remove', model, alias, version, details: { digest: row.digest, reason: 'version deleted' } });
      }
      const files = await trx.selectFrom('version_files').select('digest').where('model', '=', model).where('number', '=', version).execute();
      await trx.deleteFrom('version_files').where('model', '=', model).where('number', '=', version).execute();
      await trx.deleteFrom('versions').where('model', '=', model).where('number', '=', version).execute();
      await log({ action: 'version.delete', model, version, details: { digest: row.digest, forced: aliases.length > 0 } });
      return { record: toVersionRecord(row, aliases.map((alias) => ({ model, alias, version }))), aliases, digests: [...new Set(files.map((f) => f.digest))] };
    });

    let blobsRemoved = 0;
    const db = this.#store.db;
    const stillUsed = new Set(
      outcome.digests.length === 0 ? [] : (await db.selectFrom('version_files').select('digest').where('digest', 'in', outcome.digests).execute()).map((r) => r.digest),
    );
    for (const digest of outcome.digests) {
      if (!stillUsed.has(digest) && (await this.#blobs.delete(digest, { graceMs: this.#graceMs }))) blobsRemoved++;
    }
    const sameBundle = await db.selectFrom('versions').select('number').where('digest', '=', outcome.record.digest).executeTakeFirst();
    if (!sameBundle) await rm(join(this.#cache, digestHex(outcome.record.digest)), { recursive: true, force: true });
    return { deleted: outcome.record, aliasesRemoved: outcome.aliases, blobsRemoved };
  }

  // ---------------------------------------------------------------- bundles on disk

  /**
   * The version a reference names, as a verified bundle folder on local disk (unpacked from the
   * blob store into BERTH_HOME/bundles/<digest> on first use, and checked against its digest on
   * every call). A damaged unpacked copy is rebuilt from the blobs; a damaged blob is refused
   * with BERTH_STORE_BLOB_CORRUPT (or _MISSING).
   */
  async openBundle(reference: string | ModelRef): Promise<OpenedVersion> {
    const version = await this.resolve(reference);
    const dir = join(this.#cache, digestHex(version.digest));
    const where = `version ${version.model}:${version.version}`;
    try {
      return { version, bundle: await loadBundle(dir, { expectedDigest: version.digest, where }) };
    } catch (error) {
      if (!(error instanceof BerthError) || !error.code.startsWith('BERTH_BUNDLE_')) throw error;
    }
    await this.#unpack(version, dir);
    return { version, bundle: await loadBundle(dir, { expectedDigest: version.digest, where }) };
  }

  /** Writes the version a reference names as a `.berth` archive. */
  async exportVersion(reference: string | ModelRef, archivePath: string, options: { readonly overwrite?: boolean } = {}): Promise<{ version: VersionDetail; archive: string; bytes: number }> {
    const { version, bundle } = await this.openBundle(reference);
    const { bytes } = await exportBundle(bundle, archivePath, options);
    return { version, archive: resolve(archivePath), bytes };
  }

  // ---------------------------------------------------------------- changes

  /**
   * The sequence number of the last change committed (0 for none): one indexed read, cheap
   * enough to poll every second. When it moves, {@link auditLog} with `after` says what changed.
   */
  async changeSequence(): Promise<number> {
    this.#ensureOpen();
    const row = await this.#store.db.selectFrom('change_counter').select('seq').where('id', '=', 1).executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  /** Entries of the audit log; by default the first 1000 from the oldest. */
  async auditLog(options: AuditLogOptions = {}): Promise<AuditEntry[]> {
    this.#ensureOpen();
    let query = this.#store.db.selectFrom('audit_log').selectAll();
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

  // ---------------------------------------------------------------- housekeeping

  /**
   * Removes what no version needs: blobs no version references (older than `graceMs`), unpacked
   * bundles of deleted versions, and temporary files of interrupted writes (older than
   * `temporaryAgeMs`, default an hour). Safe to run while others use the registry.
   */
  async collectGarbage(options: { readonly graceMs?: number; readonly temporaryAgeMs?: number } = {}): Promise<{ blobsRemoved: number; bundlesRemoved: number; temporaryRemoved: number }> {
    this.#ensureOpen();
    const db = this.#store.db;
    const used = new Set((await db.selectFrom('version_files').select('digest').distinct().execute()).map((r) => r.digest));
    let blobsRemoved = 0;
    for await (const blob of this.#blobs.list()) {
      if (!used.has(blob.digest) && (await this.#blobs.delete(blob.digest, { graceMs: options.graceMs ?? this.#graceMs }))) blobsRemoved++;
    }
    const bundles = new Set((await db.selectFrom('versions').select('digest').distinct().execute()).map((r) => digestHex(r.digest)));
    let bundlesRemoved = 0;
    for (const name of await readdir(this.#cache).catch(() => [] as string[])) {
      if (!bundles.has(name)) {
        await rm(join(this.#cache, name), { recursive: true, force: true });
        bundlesRemoved++;
      }
    }
    const age = options.temporaryAgeMs ?? DEFAULT_TEMPORARY_AGE_MS;
    let temporaryRemoved = await this.#blobs.sweepTemporary(age);
    for (const name of await readdir(this.#temporary).catch(() => [] as string[])) {
      const s = await stat(join(this.#temporary, name)).catch(() => undefined);
      if (s && Date.now() - s.mtimeMs >= age) {
        await rm(join(this.#temporary, name), { recursive: true, force: true });
        temporaryRemoved++;
      }
    }
    return { blobsRemoved, bundlesRemoved, temporaryRemoved };
  }

  /** Closes the store (when the registry owns it). Idempotent; any later call is refused. */
  close(): Promise<void> {
    if (!this.#closed && this.#ownsStore) this.#blobs.close();
    this.#closed ??= this.#ownsStore ? this.#store.close() : Promise.resolve();
    return this.#closed;
  }

  // ---------------------------------------------------------------- internals

  #ensureOpen(): void {
    if (this.#closed) throw Errors.REGISTRY_CLOSED.create();
  }

  async #requireModel(model: string): Promise<void> {
    const row = await this.#store.db.selectFrom('models').select('name').where('name', '=', model).executeTakeFirst();
    if (!row) throw Errors.REGISTRY_MODEL_NOT_FOUND.create(model);
  }

  async #versionNumber(ref: ModelRef): Promise<number> {
    const db = this.#store.db;
    if (ref.kind === 'version') return ref.version;
    if (ref.kind === 'alias') {
      const row = await db.selectFrom('aliases').select('number').where('model', '=', ref.model).where('name', '=', ref.alias).executeTakeFirst();
      if (row) return row.number;
      await this.#requireModel(ref.model);
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
    await this.#requireModel(ref.model);
    throw Errors.REGISTRY_VERSION_NOT_FOUND.create(ref.model, 'at all');
  }

  /**
   * Runs `work` in a change transaction: the counter row is updated first (the lock that orders
   * all changes), and `log` appends audit entries with the next sequence numbers.
   */
  async #change<T>(actor: AuditActor, work: (trx: Trx, log: Log) => Promise<T>): Promise<T> {
    this.#ensureOpen();
    return this.#store.db.transaction().execute(async (trx) => {
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

  /** Points an alias at a version inside a change; undefined when it already pointed there. */
  async #moveAlias(trx: Trx, log: Log, model: string, alias: string, number: number, at: string): Promise<{ previous: number | null } | undefined> {
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

  /** Stores every file of the bundle as a blob; with `onlyMissing`, only those not there. */
  async #storeBlobs(bundle: Bundle, onlyMissing = false): Promise<void> {
    for (const file of bundle.manifest.files) {
      const expected = { digest: file.sha256, size: file.size };
      if (onlyMissing) {
        const found = await this.#blobs.stat(file.sha256);
        if (found?.size === file.size) continue;
      }
      try {
        await this.#blobs.put(join(bundle.dir, ...file.path.split('/')), expected);
      } catch (error) {
        if (Errors.STORE_BLOB_MISMATCH.is(error)) throw Errors.BUNDLE_FILE_CORRUPT.create(`bundle ${bundle.dir}`, file.path, 'changed while it was being registered');
        throw error;
      }
    }
  }

  /** Rebuilds a version's bundle folder from its blobs, atomically. */
  async #unpack(version: VersionDetail, dir: string): Promise<void> {
    await mkdir(this.#cache, { recursive: true });
    const building = temporarySibling(dir);
    await mkdir(building);
    try {
      for (const file of version.files) {
        const target = join(building, ...file.path.split('/'));
        await mkdir(dirname(target), { recursive: true });
        await this.#blobs.copyTo(file.digest, target);
        // Unpacked bundles are shared by every load of the version: make edits unlikely.
        await chmod(target, 0o444);
      }
      const manifest = await this.#store.db.selectFrom('versions').select('manifest').where('model', '=', version.model).where('number', '=', version.version).executeTakeFirstOrThrow();
      await writeFile(join(building, MANIFEST_FILE), manifest.manifest, { mode: 0o444 });
      // Move a damaged copy aside before putting the new one in its place; a reader that has it
      // open keeps its files.
      if (await stat(dir).catch(() => undefined)) {
        // Another process (a replica sharing this home) may have unpacked it meanwhile: keep a
        // good copy, since a loader may be reading it; only a damaged one is moved aside.
        const good = await loadBundle(dir, { expectedDigest: version.digest }).then(
          () => true,
          () => false,
        );
        if (good) return;
        const trash = temporarySibling(dir);
        await rename(dir, trash).catch(() => undefined);
        await rm(trash, { recursive: true, force: true });
      }
      await rename(building, dir).catch(async (error: NodeJS.ErrnoException) => {
        // Another process unpacked the same bundle first; theirs is as good as ours.
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      });
    } finally {
      await rm(building, { recursive: true, force: true });
    }
  }
}

/** Refuses a bundle whose manifest signature is not the one its model file has. */
async function checkSignature(bundle: Bundle): Promise<void> {
  const where = `bundle ${bundle.dir}`;
  const bytes = await readFile(bundle.modelPath);
  const actual = describeOnnx(bytes, `${where}: ${basename(bundle.modelPath)}`).signature;
  if (canonicalJson(actual) !== canonicalJson(bundle.manifest.signature)) {
    throw Errors.BUNDLE_SIGNATURE_MISMATCH.create(where, `the file has ${canonicalJson(actual)}`);
  }
}

function toVersionRecord(
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
