/**
 * The tables of the metadata database, as Kysely sees them. One interface per table; later
 * migrations (monitor windows, feedback, …) add their tables to {@link StoreTables}.
 *
 * Portable column types only (text, integer, bigint), so that SQLite and PostgreSQL share one
 * code path: times are ISO 8601 UTC strings (they sort as text), JSON is text, and keys are
 * natural (model name, version number) so that no table needs a dialect-specific autoincrement.
 */

/** A named model. `last_version` only grows, so a deleted version's number is never reused. */
export interface ModelsTable {
  readonly name: string;
  readonly created_at: string;
  readonly last_version: number;
}

/** An immutable version of a model: one registered bundle. */
export interface VersionsTable {
  readonly model: string;
  readonly number: number;
  /** The bundle digest, `sha256:<hex>`. */
  readonly digest: string;
  /** Bytes of every file of the bundle, manifest included. */
  readonly size: number;
  readonly created_at: string;
  /** Where it was registered from, e.g. `file:/abs/model.onnx`, `bundle:/abs/dir`, `api:upload`. */
  readonly source: string;
  /** JSON object of string tags. */
  readonly tags: string;
  /** The bundle's manifest (`berth.json`) exactly as it was registered. */
  readonly manifest: string;
}

/** The files of a version's bundle and the blobs that hold them. */
export interface VersionFilesTable {
  readonly model: string;
  readonly number: number;
  /** Path inside the bundle, `/`-separated. */
  readonly path: string;
  /** Blob digest, `sha256:<hex>`. */
  readonly digest: string;
  readonly size: number;
}

/** A named pointer from a model to one of its versions. */
export interface AliasesTable {
  readonly model: string;
  readonly name: string;
  readonly number: number;
  readonly updated_at: string;
}

/**
 * Every change to the registry, in commit order. `seq` comes from {@link ChangeCounterTable},
 * whose single row every change transaction updates first: that row lock serialises writers, so
 * sequence numbers become visible in order and "what changed since seq N" never misses a change.
 */
export interface AuditLogTable {
  readonly seq: number;
  readonly at: string;
  /** The interface the change came through: `cli`, `api`, `sdk`, `server`, … */
  readonly interface: string;
  /** Who, where known (e.g. `user@host`); null otherwise. */
  readonly actor: string | null;
  /** What happened, e.g. `version.register`, `alias.set`. */
  readonly action: string;
  readonly model: string | null;
  readonly version: number | null;
  readonly alias: string | null;
  /** JSON object with the rest (digest, previous version, source …). */
  readonly details: string;
}

/** One row (`id` = 1) holding the last change sequence number. */
export interface ChangeCounterTable {
  readonly id: number;
  readonly seq: number;
}

/** Every table of the metadata database. */
export interface StoreTables {
  readonly models: ModelsTable;
  readonly versions: VersionsTable;
  readonly version_files: VersionFilesTable;
  readonly aliases: AliasesTable;
  readonly audit_log: AuditLogTable;
  readonly change_counter: ChangeCounterTable;
}
