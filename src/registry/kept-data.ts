/**
 * Data kept with a version: the CSV it was trained on, and the fixed validation file it was
 * validated on if it had one, stored as blobs by digest while the version exists, so that
 * retraining can start from them. A row of `version_data` per role references each blob
 * (blob-references.ts), and deleting the version removes the rows (version-deleter.ts).
 */
import type { Kysely } from 'kysely';
import { Errors } from '../core/errors.js';
import type { BlobStore } from '../store/blob-store.js';
import type { StoreTables } from '../store/store-tables.js';

/** What kept data is to its version: the rows it was trained on, or the validation file it was judged on. */
export type KeptDataRole = 'training' | 'validation';

/** What a version keeps of its data, in one role. */
export interface KeptData {
  readonly model: string;
  readonly version: number;
  readonly role: KeptDataRole;
  /** The blob's digest, `sha256:<hex>`. */
  readonly digest: string;
  readonly size: number;
  /** Data rows of the CSV. */
  readonly rows: number;
  /** Where it came from, for people. */
  readonly source: string;
  /** ISO 8601. */
  readonly created: string;
}

/** What is recorded about a file being kept. */
export interface KeepDataInput {
  /** A local CSV file to store, or the digest of a blob already in the store. */
  readonly file?: string;
  readonly digest?: string;
  readonly rows: number;
  readonly source: string;
  /** Default `training`. */
  readonly role?: KeptDataRole | undefined;
}

/** Keeps and finds versions' training data. */
export class KeptDataStore {
  readonly #db: Kysely<StoreTables>;
  readonly #blobs: BlobStore;
  readonly #now: () => Date;

  constructor(db: Kysely<StoreTables>, blobs: BlobStore, now: () => Date) {
    this.#db = db;
    this.#blobs = blobs;
    this.#now = now;
  }

  /**
   * Keeps `input` as the data of `model:version` in its role (replacing what was kept in that role). The blob is
   * stored first, then the row written. Throws BERTH_REGISTRY_VERSION_NOT_FOUND, and the blob
   * store's errors (BERTH_STORE_BLOBS_UNAVAILABLE when it cannot be written).
   */
  async keep(model: string, version: number, input: KeepDataInput): Promise<KeptData> {
    const found = await this.#db.selectFrom('versions').select('number').where('model', '=', model).where('number', '=', version).executeTakeFirst();
    if (!found) throw Errors.REGISTRY_VERSION_NOT_FOUND.create(model, String(version));
    let blob: { digest: string; size: number };
    if (input.file !== undefined) {
      blob = await this.#blobs.put(input.file);
    } else {
      const stat = input.digest !== undefined ? await this.#blobs.stat(input.digest) : undefined;
      if (!stat) throw Errors.STORE_BLOB_MISSING.create(input.digest ?? '(none)', 'the blob store');
      blob = stat;
    }
    const role = input.role ?? 'training';
    const row = {
      model,
      number: version,
      role,
      digest: blob.digest,
      size: blob.size,
      rows: input.rows,
      source: input.source,
      created_at: this.#now().toISOString(),
    };
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('version_data').where('model', '=', model).where('number', '=', version).where('role', '=', role).execute();
      await trx.insertInto('version_data').values(row).execute();
    });
    return toKept(row);
  }

  /** The data `model:version` keeps in `role`, or undefined. */
  async get(model: string, version: number, role: KeptDataRole = 'training'): Promise<KeptData | undefined> {
    const row = await this.#db.selectFrom('version_data').selectAll().where('model', '=', model).where('number', '=', version).where('role', '=', role).executeTakeFirst();
    return row ? toKept(row) : undefined;
  }
}

function toKept(row: StoreTables['version_data']): KeptData {
  return {
    model: row.model,
    version: Number(row.number),
    role: row.role === 'validation' ? 'validation' : 'training',
    digest: row.digest,
    size: Number(row.size),
    rows: Number(row.rows),
    source: row.source,
    created: row.created_at,
  };
}
