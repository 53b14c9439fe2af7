/**
 * Data kept with a version: the CSV it was trained on, stored as a blob by digest while the
 * version exists, so that retraining can start from it. A row of `version_data` references the
 * blob (blob-references.ts), and deleting the version removes the row (version-deleter.ts).
 */
import type { Kysely } from 'kysely';
import { Errors } from '../core/errors.js';
import type { BlobStore } from '../store/blob-store.js';
import type { StoreTables } from '../store/store-tables.js';

/** What a version keeps of its training data. */
export interface KeptData {
  readonly model: string;
  readonly version: number;
  /** What the data is to the version; `training` is the only role so far. */
  readonly role: 'training';
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
   * Keeps `input` as the training data of `model:version` (replacing what was kept). The blob is
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
    const row = {
      model,
      number: version,
      role: 'training',
      digest: blob.digest,
      size: blob.size,
      rows: input.rows,
      source: input.source,
      created_at: this.#now().toISOString(),
    };
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('version_data').where('model', '=', model).where('number', '=', version).where('role', '=', 'training').execute();
      await trx.insertInto('version_data').values(row).execute();
    });
    return toKept(row);
  }

  /** The training data `model:version` keeps, or undefined. */
  async get(model: string, version: number): Promise<KeptData | undefined> {
    const row = await this.#db.selectFrom('version_data').selectAll().where('model', '=', model).where('number', '=', version).where('role', '=', 'training').executeTakeFirst();
    return row ? toKept(row) : undefined;
  }
}

function toKept(row: StoreTables['version_data']): KeptData {
  return {
    model: row.model,
    version: Number(row.number),
    role: 'training',
    digest: row.digest,
    size: Number(row.size),
    rows: Number(row.rows),
    source: row.source,
    created: row.created_at,
  };
}
