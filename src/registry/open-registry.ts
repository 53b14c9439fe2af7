/** Opening the registry of a BERTH_HOME (and, optionally, a PostgreSQL database). */
import { resolve } from 'node:path';
import type { BlobStore } from '../store/blob-store.js';
import { FileBlobStore } from '../store/file-blob-store.js';
import { openMetadataStore } from '../store/metadata-store.js';
import { type BlobStoreLocation, openBlobStore } from '../store/open-blob-store.js';
import { Registry } from './registry.js';
import type { AuditActor } from './registry-records.js';

/** Where a registry lives. */
export interface OpenRegistryOptions {
  /** BERTH_HOME: `berth.db` (unless a database URL is given), `blobs/`, `bundles/`, `tmp/`. */
  readonly home: string;
  /** `postgres://…` for PostgreSQL, `sqlite:file.db`, or undefined for BERTH_HOME/berth.db. */
  readonly databaseUrl?: string | undefined;
  /** PostgreSQL schema for Berth's tables. */
  readonly schema?: string | undefined;
  /** Most PostgreSQL connections (config `store.databasePoolSize`); default 10. */
  readonly poolSize?: number | undefined;
  /** How long a SQLite statement waits for another process's lock (config `store.databaseLockWaitMs`); default 30 s. */
  readonly lockWaitMs?: number | undefined;
  /** Blob folder; default BERTH_HOME/blobs (point replicas at one shared folder). */
  readonly blobDir?: string | undefined;
  /** `s3://bucket/prefix` or a folder, with the S3 settings (config `store.blobs`, `store.s3*`); overrides blobDir. */
  readonly blobs?: Omit<BlobStoreLocation, 'home'> | undefined;
  /** Who changes are attributed to by default. */
  readonly actor?: AuditActor | undefined;
  /** See Registry.collectGarbage. */
  readonly blobGraceMs?: number | undefined;
}

/**
 * Opens the metadata store (running pending migrations) and the blob store, and returns the
 * registry over them. Close it when done.
 *
 * @example
 *   const registry = await openRegistry({ home: '.berth', actor: { interface: 'cli' } });
 */
export async function openRegistry(options: OpenRegistryOptions): Promise<Registry> {
  const home = resolve(options.home);
  // The blob store first: it is checked on opening, and an unreachable one leaves nothing to close.
  const blobs: BlobStore =
    options.blobs?.blobs === undefined && options.blobDir !== undefined ? new FileBlobStore(options.blobDir) : await openBlobStore({ ...options.blobs, home });
  let store;
  try {
    store = await openMetadataStore({ home, databaseUrl: options.databaseUrl, schema: options.schema, poolSize: options.poolSize, lockWaitMs: options.lockWaitMs });
  } catch (error) {
    blobs.close();
    throw error;
  }
  return new Registry({
    store,
    blobs,
    home,
    ...(options.actor ? { actor: options.actor } : {}),
    ...(options.blobGraceMs !== undefined ? { blobGraceMs: options.blobGraceMs } : {}),
  });
}
