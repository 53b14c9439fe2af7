/**
 * The registry: bundles stored as numbered, immutable versions of named models, aliases that
 * point at versions, and an audit log of every change, over the metadata store and the blob
 * store. This class is the public face; each job is a module of its own: registering
 * (VersionWriter, crash-safe), reading (RegistryReads), aliases (AliasWriter), deletion
 * (VersionDeleter), deployments (DeploymentWriter), bundles unpacked on disk (BundleCache), change transactions and the audit log
 * (ChangeLog), and garbage collection (collectGarbage).
 */
import { join, resolve } from 'node:path';
import type { DeploymentPolicyInput } from '../core/deployment.js';
import { Errors } from '../core/errors.js';
import type { ModelRef } from '../core/model-ref.js';
import type { BlobStore } from '../store/blob-store.js';
import type { MetadataStore } from '../store/metadata-store.js';
import { AliasWriter, planRollback } from './alias-writer.js';
import { ApiKeys } from './api-keys.js';
import type { Bundle } from './bundle.js';
import { exportBundle } from './bundle-archive.js';
import { BundleCache } from './bundle-cache.js';
import { type AuditLogOptions, ChangeLog } from './change-log.js';
import { type ClearDeploymentOptions, type DeploymentChangeOptions, DeploymentWriter, readDeployment, readDeployments } from './deployment-writer.js';
import { type GarbageCollected, collectGarbage, collectTemporary } from './garbage-collector.js';
import { type KeepDataInput, type KeptData, KeptDataStore } from './kept-data.js';
import type { CreateApiKeyOptions, CreatedApiKey } from './api-keys.js';
import type {
  AliasChange,
  ApiKeyRecord,
  AliasRecord,
  AuditActor,
  AuditEntry,
  DeleteResult,
  DeploymentChange,
  DeploymentRecord,
  ModelRecord,
  OpenedVersion,
  RegisterResult,
  RollbackPlan,
  VersionDetail,
  VersionRecord,
} from './registry-records.js';
import { RegistryReads } from './registry-reads.js';
import { VersionDeleter } from './version-deleter.js';
import { type ChangeOptions, type RegisterOptions, VersionWriter } from './version-writer.js';

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
  readonly #actor: AuditActor;
  readonly #graceMs: number;
  readonly #ownsStore: boolean;
  readonly #changes: ChangeLog;
  readonly #reads: RegistryReads;
  readonly #writer: VersionWriter;
  readonly #aliases: AliasWriter;
  readonly #deployments: DeploymentWriter;
  readonly #bundles: BundleCache;
  readonly #deleter: VersionDeleter;
  readonly #keys: ApiKeys;
  readonly #kept: KeptDataStore;
  #closed: Promise<void> | undefined;

  constructor(options: RegistryOptions) {
    this.#store = options.store;
    this.#blobs = options.blobs;
    this.#temporary = join(resolve(options.home), 'tmp');
    this.#actor = options.actor ?? { interface: 'sdk' };
    this.#graceMs = options.blobGraceMs ?? DEFAULT_BLOB_GRACE_MS;
    this.#ownsStore = options.ownsStore ?? true;
    const now = options.now ?? (() => new Date());
    const db = options.store.db;
    this.#changes = new ChangeLog(db, now);
    this.#reads = new RegistryReads(db);
    this.#writer = new VersionWriter({ changes: this.#changes, reads: this.#reads, blobs: this.#blobs, temporary: this.#temporary, now });
    this.#aliases = new AliasWriter(this.#changes, now);
    this.#deployments = new DeploymentWriter(this.#changes, now);
    this.#bundles = new BundleCache(join(resolve(options.home), 'bundles'), this.#blobs, db);
    this.#deleter = new VersionDeleter({ db, changes: this.#changes, blobs: this.#blobs, bundles: this.#bundles, graceMs: this.#graceMs });
    this.#keys = new ApiKeys(db, this.#changes, now);
    this.#kept = new KeptDataStore(db, this.#blobs, now);
  }

  /**
   * The metadata store itself, for services that keep stores of their own in it (monitorStores):
   * sharing the registry's connection keeps SQLite writers in one queue.
   */
  get store(): MetadataStore {
    return this.#store;
  }

  /** The blob store, for services that keep their own blobs beside the registry's (training jobs). */
  get blobs(): BlobStore {
    return this.#blobs;
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
    return this.#writer.register(path, options, this.#actor);
  }

  /** Registers a verified bundle; see {@link register}. */
  async registerBundle(bundle: Bundle, options: RegisterOptions & { readonly source: string }): Promise<RegisterResult> {
    this.#ensureOpen();
    return this.#writer.registerBundle(bundle, options, this.#actor);
  }

  /**
   * Keeps a CSV as the training data of `model:version` (a blob by digest, kept while the version
   * exists), or with `role: 'validation'` as the validation file it was judged on, so that
   * retraining can start from them. Throws BERTH_REGISTRY_VERSION_NOT_FOUND and the
   * blob store's errors.
   */
  async keepTrainingData(model: string, version: number, input: KeepDataInput): Promise<KeptData> {
    this.#ensureOpen();
    return this.#kept.keep(model, version, input);
  }

  /** The training data `model:version` keeps, or undefined. */
  async keptTrainingData(model: string, version: number): Promise<KeptData | undefined> {
    this.#ensureOpen();
    return this.#kept.get(model, version);
  }

  /** The validation file `model:version` keeps (`keepTrainingData` with role `validation`), or undefined. */
  async keptValidationData(model: string, version: number): Promise<KeptData | undefined> {
    this.#ensureOpen();
    return this.#kept.get(model, version, 'validation');
  }

  // ---------------------------------------------------------------- reading

  /** Every model, by name. */
  async listModels(): Promise<ModelRecord[]> {
    this.#ensureOpen();
    return this.#reads.listModels();
  }

  /** One model. Throws BERTH_REGISTRY_MODEL_NOT_FOUND. */
  async getModel(name: string): Promise<ModelRecord> {
    this.#ensureOpen();
    return this.#reads.getModel(name);
  }

  /** The versions of a model, oldest first. Throws BERTH_REGISTRY_MODEL_NOT_FOUND. */
  async listVersions(model: string): Promise<VersionRecord[]> {
    this.#ensureOpen();
    return this.#reads.listVersions(model);
  }

  /** A version with its manifest and files. Throws BERTH_REGISTRY_MODEL_NOT_FOUND or _VERSION_NOT_FOUND. */
  async getVersion(model: string, version: number): Promise<VersionDetail> {
    this.#ensureOpen();
    return this.#reads.getVersion(model, version);
  }

  /**
   * The version a reference names: `model` (its default version: production, else the latest),
   * `model:3` or `model@alias`.
   * Throws BERTH_REGISTRY_REFERENCE_INVALID, _MODEL_NOT_FOUND, _VERSION_NOT_FOUND or _ALIAS_NOT_FOUND.
   */
  async resolve(reference: string | ModelRef): Promise<VersionDetail> {
    this.#ensureOpen();
    return this.#reads.resolve(reference);
  }

  /** Every alias of one model, or of all models, sorted by model and alias. */
  async listAliases(model?: string): Promise<AliasRecord[]> {
    this.#ensureOpen();
    return this.#reads.listAliases(model);
  }

  // ---------------------------------------------------------------- aliases

  /**
   * Points `alias` of `model` at `version` (creating or moving it). Throws
   * BERTH_REGISTRY_ALIAS_ALREADY_SET when it already points there, and the not-found errors.
   */
  async setAlias(model: string, alias: string, version: number, options: ChangeOptions = {}): Promise<AliasChange> {
    this.#ensureOpen();
    return this.#aliases.setAlias(model, alias, version, options.actor ?? this.#actor);
  }

  /**
   * Where `alias` (default `production`) would roll back to: the version it served before, never
   * a newer one (see rollbackTarget). Throws BERTH_REGISTRY_MODEL_NOT_FOUND or _ALIAS_NOT_FOUND.
   */
  async rollbackPlan(model: string, alias = 'production'): Promise<RollbackPlan> {
    this.#ensureOpen();
    return planRollback(this.#store.db, model, alias);
  }

  /**
   * Rolls `alias` (default `production`) back to the version it served before, in one change;
   * `reason` goes into the audit entry. Throws BERTH_REGISTRY_ROLLBACK_UNAVAILABLE when there is
   * none, and the not-found errors.
   */
  async rollback(model: string, options: ChangeOptions & { readonly alias?: string; readonly reason?: string } = {}): Promise<AliasChange> {
    this.#ensureOpen();
    return this.#aliases.rollback(model, options.alias ?? 'production', options.actor ?? this.#actor, options.reason);
  }

  /** Removes an alias. Throws BERTH_REGISTRY_ALIAS_NOT_FOUND (or _MODEL_NOT_FOUND). Returns what it pointed at. */
  async removeAlias(model: string, alias: string, options: ChangeOptions = {}): Promise<AliasRecord> {
    this.#ensureOpen();
    return this.#aliases.removeAlias(model, alias, options.actor ?? this.#actor);
  }

  // ---------------------------------------------------------------- deployments

  /** The model's deployment (traffic policy), or null when its default version takes all traffic. Throws BERTH_REGISTRY_MODEL_NOT_FOUND. */
  async getDeployment(model: string): Promise<DeploymentRecord | null> {
    this.#ensureOpen();
    await this.#reads.requireModel(model);
    return readDeployment(this.#store.db, model);
  }

  /** Every model's deployment, by model name. */
  async listDeployments(): Promise<DeploymentRecord[]> {
    this.#ensureOpen();
    return readDeployments(this.#store.db);
  }

  /**
   * Replaces the model's whole deployment in one change (audit `deployment.set`). Throws
   * BERTH_DEPLOYMENT_INVALID (the policy's shape, versions taking different inputs, a shadow of
   * the default version with no variants), BERTH_REGISTRY_VERSION_NOT_FOUND, _MODEL_NOT_FOUND,
   * and BERTH_DEPLOYMENT_CHANGED when `expectedSeq` is stale; nothing changes then.
   *
   * @example
   *   await registry.setDeployment('digits', { variants: [{ version: 1, weight: 80 }, { version: 2, weight: 20 }] });
   */
  async setDeployment(model: string, policy: DeploymentPolicyInput, options: DeploymentChangeOptions = {}): Promise<DeploymentChange> {
    this.#ensureOpen();
    return this.#deployments.setDeployment(model, policy, options.actor ?? this.#actor, options);
  }

  /**
   * Removes the model's deployment (audit `deployment.clear`); with `setAlias`, also moves that
   * alias in the same change. With none, writes nothing but the alias and returns `previous: null`.
   */
  async clearDeployment(model: string, options: ClearDeploymentOptions = {}): Promise<DeploymentChange> {
    this.#ensureOpen();
    return this.#deployments.clearDeployment(model, options.actor ?? this.#actor, options);
  }

  // ---------------------------------------------------------------- deleting

  /**
   * Deletes a version. Refused with BERTH_REGISTRY_VERSION_IN_USE while an alias points at it,
   * unless `force`, which removes those aliases too; see VersionDeleter.
   */
  async deleteVersion(model: string, version: number, options: ChangeOptions & { readonly force?: boolean } = {}): Promise<DeleteResult> {
    this.#ensureOpen();
    return this.#deleter.deleteVersion(model, version, options.force === true, options.actor ?? this.#actor);
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
    return { version, bundle: await this.#bundles.open(version) };
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
    return this.#changes.sequence();
  }

  /** Entries of the audit log; by default the first 1000 from the oldest. */
  async auditLog(options: AuditLogOptions = {}): Promise<AuditEntry[]> {
    this.#ensureOpen();
    return this.#changes.entries(options);
  }

  // ---------------------------------------------------------------- API keys

  /** Creates an API key; the key is in the result and nowhere else. See ApiKeys.create. */
  async createKey(options: CreateApiKeyOptions, change: ChangeOptions = {}): Promise<CreatedApiKey> {
    this.#ensureOpen();
    return this.#keys.create(options, change.actor ?? this.#actor);
  }

  /** Every API key (never the keys themselves), revoked ones included. */
  async listKeys(): Promise<ApiKeyRecord[]> {
    this.#ensureOpen();
    return this.#keys.list();
  }

  /** Revokes an API key by id. Throws BERTH_API_KEY_NOT_FOUND. */
  async revokeKey(id: string, change: ChangeOptions = {}): Promise<ApiKeyRecord> {
    this.#ensureOpen();
    return this.#keys.revoke(id, change.actor ?? this.#actor);
  }

  /** The live API key `key` is, or undefined (unknown or revoked). */
  async verifyKey(key: string): Promise<ApiKeyRecord | undefined> {
    this.#ensureOpen();
    return this.#keys.verify(key);
  }

  // ---------------------------------------------------------------- housekeeping

  /**
   * Removes what no version needs: blobs no version references (older than `graceMs`), unpacked
   * bundles of deleted versions, and temporary files of interrupted writes (older than
   * `temporaryAgeMs`, default an hour). Safe to run while others use the registry.
   */
  async collectGarbage(options: { readonly graceMs?: number; readonly temporaryAgeMs?: number } = {}): Promise<GarbageCollected> {
    this.#ensureOpen();
    return collectGarbage(
      { db: this.#store.db, blobs: this.#blobs, bundles: this.#bundles, temporary: this.#temporary },
      { graceMs: options.graceMs ?? this.#graceMs, temporaryAgeMs: options.temporaryAgeMs ?? DEFAULT_TEMPORARY_AGE_MS },
    );
  }

  /**
   * Removes temporary files of interrupted writes and requests that have not changed for
   * `olderThanMs` (default an hour); returns how many entries went. Cheap enough to run often,
   * and safe while others use the registry: work still being written is newer.
   */
  async collectTemporary(olderThanMs: number = DEFAULT_TEMPORARY_AGE_MS): Promise<number> {
    this.#ensureOpen();
    return collectTemporary({ blobs: this.#blobs, temporary: this.#temporary }, olderThanMs);
  }

  /** Closes the store (when the registry owns it). Idempotent; any later call is refused. */
  close(): Promise<void> {
    if (!this.#closed && this.#ownsStore) this.#blobs.close();
    this.#closed ??= this.#ownsStore ? this.#store.close() : Promise.resolve();
    return this.#closed;
  }

  #ensureOpen(): void {
    if (this.#closed) throw Errors.REGISTRY_CLOSED.create();
  }
}
