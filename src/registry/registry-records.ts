/** What the registry returns: plain, JSON-ready records of models, versions, aliases and changes. */
import type { DeploymentPolicy } from '../core/deployment.js';
import type { Bundle } from './bundle.js';
import type { BundleManifest } from './bundle-manifest.js';
import type { AccessScope } from '../core/access-scope.js';

/** Who made a change and through which interface, for the audit log. */
export interface AuditActor {
  /** `cli`, `api`, `sdk`, `server`, … */
  readonly interface: string;
  /** Who, where known: a user name, `user@host`, a token's name. */
  readonly actor?: string | undefined;
}

/** A model: its versions and aliases in summary. */
export interface ModelRecord {
  readonly name: string;
  /** ISO 8601. */
  readonly created: string;
  /** How many versions it has now. */
  readonly versions: number;
  /** Its highest version number, or null when it has none. */
  readonly latestVersion: number | null;
  /** Alias name → version number. */
  readonly aliases: Readonly<Record<string, number>>;
}

/** A version of a model, without its manifest. */
export interface VersionRecord {
  readonly model: string;
  readonly version: number;
  /** The bundle digest, `sha256:<hex>`. */
  readonly digest: string;
  /** Bytes of the bundle, manifest included. */
  readonly size: number;
  /** When it was registered, ISO 8601. */
  readonly created: string;
  /** Where it was registered from (`file:…`, `bundle:…`, `archive:…`, or what the caller said). */
  readonly source: string;
  readonly tags: Readonly<Record<string, string>>;
  /** The aliases that point at it, sorted. */
  readonly aliases: readonly string[];
}

/** A file of a version's bundle and the blob holding it. */
export interface VersionFileRecord {
  readonly path: string;
  readonly digest: string;
  readonly size: number;
}

/** A version with its manifest and files. */
export interface VersionDetail extends VersionRecord {
  readonly manifest: BundleManifest;
  readonly files: readonly VersionFileRecord[];
}

/** An alias and what it points at. */
export interface AliasRecord {
  readonly model: string;
  readonly alias: string;
  readonly version: number;
  /** The digest of the version it points at. */
  readonly digest: string;
  /** When it last moved, ISO 8601. */
  readonly updated: string;
}

/** One change, from the audit log. */
export interface AuditEntry {
  /** Position in the commit order of all changes; see Registry.changeSequence. */
  readonly seq: number;
  readonly at: string;
  readonly interface: string;
  readonly actor: string | null;
  /** `model.create`, `version.register`, `version.delete`, `alias.set`, `alias.remove`, `deployment.set`, `deployment.clear`. */
  readonly action: AuditAction;
  readonly model: string | null;
  readonly version: number | null;
  readonly alias: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

/** The kinds of change the audit log records. */
export type AuditAction = 'model.create' | 'version.register' | 'version.delete' | 'alias.set' | 'alias.remove' | 'deployment.set' | 'deployment.clear' | 'key.create' | 'key.revoke';

/** An API key as listed: never the key itself (only its hash is kept). */
export interface ApiKeyRecord {
  /** Public id, for `berth keys revoke <id>`. */
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly AccessScope[];
  /** The only model it reaches, or null for every model. */
  readonly model: string | null;
  /** The key's first characters (`berth_AbCd…`), to tell keys apart. */
  readonly hint: string;
  readonly created: string;
  /** When it was revoked, or null while it is live. */
  readonly revoked: string | null;
}

/** What {@link Registry.register} did. */
export interface RegisterResult {
  readonly version: VersionDetail;
  /** False when the model already had a version with this digest, which is returned instead. */
  readonly created: boolean;
  /** Aliases that were set or moved to the version by this call. */
  readonly aliasesSet: readonly string[];
}

/** What {@link Registry.deleteVersion} did. */
export interface DeleteResult {
  readonly deleted: VersionRecord;
  /** Aliases removed with it (only with `force`). */
  readonly aliasesRemoved: readonly string[];
  /** Blobs no other version used, now removed. */
  readonly blobsRemoved: number;
}

/** A version's verified bundle on local disk, ready to load. */
export interface OpenedVersion {
  readonly version: VersionDetail;
  readonly bundle: Bundle;
}

/** Where an alias would roll back to: {@link Registry.rollbackPlan}. */
export interface RollbackPlan {
  readonly model: string;
  readonly alias: string;
  /** The version the alias points at now. */
  readonly version: number;
  /** The version a roll back would point it at, or null when there is no earlier one. */
  readonly target: number | null;
}

/** What {@link Registry.setAlias} did. */
export interface AliasChange extends AliasRecord {
  /** The version it pointed at before, or null when it is new. */
  readonly previous: number | null;
}

/** A model's stored deployment (traffic policy). */
export interface DeploymentRecord extends DeploymentPolicy {
  readonly model: string;
  /** When it last changed, ISO 8601. */
  readonly updated: string;
  /** The sequence number of the change that wrote it; pass it as `expectedSeq` to change it safely. */
  readonly seq: number;
}

/** What {@link Registry.setDeployment} and {@link Registry.clearDeployment} did. */
export interface DeploymentChange {
  /** The deployment now, or null when there is none (the default version takes all traffic). */
  readonly deployment: DeploymentRecord | null;
  readonly previous: DeploymentRecord | null;
}
