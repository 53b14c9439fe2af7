/**
 * Choosing the blob store a configuration names: `s3://bucket/prefix` for S3-compatible object
 * storage, a folder path for a (shared) folder, or nothing for BERTH_HOME/blobs.
 */
import { join, resolve } from 'node:path';
import { Errors } from '../core/errors.js';
import type { BlobStore } from './blob-store.js';
import { FileBlobStore } from './file-blob-store.js';
import { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';

/** Where the blobs live, as configured (config `store.blobs`, `store.s3Endpoint`, `store.s3ForcePathStyle`). */
export interface BlobStoreLocation {
  /** BERTH_HOME, whose `blobs/` folder is the default. */
  readonly home: string;
  /** `s3://bucket/prefix`, a folder, or undefined for BERTH_HOME/blobs. */
  readonly blobs?: string | undefined;
  /** Endpoint of an S3-compatible server; default AWS. */
  readonly s3Endpoint?: string | undefined;
  readonly s3ForcePathStyle?: boolean | undefined;
  /** SDK client settings (region, credentials) for tests; default the SDK's provider chain. */
  readonly s3Client?: S3BlobStoreOptions['client'];
}

// S3's bucket naming rules, less the ones (no IP addresses, no `..`) the server enforces itself.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** The bucket and key prefix of an `s3://bucket/prefix` URL. Throws BERTH_STORE_BLOBS_URL_INVALID. */
export function parseS3Url(url: string): { readonly bucket: string; readonly prefix: string } {
  const match = /^s3:\/\/([^/]*)\/?(.*)$/.exec(url);
  if (!match) throw Errors.STORE_BLOBS_URL_INVALID.create(url, 'it is not an s3:// URL');
  const [, bucket = '', rest = ''] = match;
  if (!BUCKET.test(bucket)) throw Errors.STORE_BLOBS_URL_INVALID.create(url, `'${bucket}' is not a bucket name (3-63 lower-case letters, digits, '.' and '-')`);
  const prefix = rest.replace(/^\/+|\/+$/g, '');
  if (prefix !== '' && prefix.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw Errors.STORE_BLOBS_URL_INVALID.create(url, 'the prefix has an empty, . or .. part');
  }
  return { bucket, prefix };
}

/**
 * The blob store of a location, checked (BERTH_STORE_BLOBS_UNAVAILABLE when S3 cannot be reached
 * or refuses the credentials). Close it when done.
 *
 * @example
 *   const blobs = await openBlobStore({ home: '.berth', blobs: 's3://models/berth', s3Endpoint: 'http://127.0.0.1:9000', s3ForcePathStyle: true });
 */
export async function openBlobStore(location: BlobStoreLocation): Promise<BlobStore> {
  const url = location.blobs;
  if (url === undefined || url === '') return new FileBlobStore(join(resolve(location.home), 'blobs'));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !url.startsWith('s3://')) {
    throw Errors.STORE_BLOBS_URL_INVALID.create(url, `the scheme ${url.slice(0, url.indexOf(':'))}:// is not supported`);
  }
  if (!url.startsWith('s3://')) return new FileBlobStore(resolve(url));
  const store = new S3BlobStore({
    ...parseS3Url(url),
    endpoint: location.s3Endpoint,
    forcePathStyle: location.s3ForcePathStyle,
    ...(location.s3Client ? { client: location.s3Client } : {}),
  });
  try {
    await store.check();
  } catch (error) {
    store.close();
    throw error;
  }
  return store;
}

/** Where the monitor's log segments go when no registry gives a blob store: a blob store location and the database. */
export interface LogBlobStoreLocation extends BlobStoreLocation {
  /** The metadata database's URL (config `store.databaseUrl`); undefined for BERTH_HOME/berth.db. */
  readonly databaseUrl?: string | undefined;
}

/**
 * The blob store that belongs with a metadata database, for the monitor's log segments (a model
 * folder's server and the library have a database but no registry):
 * - the configured blob store (`store.blobs`) when there is one;
 * - else, with SQLite, a folder beside the database file: BERTH_HOME/blobs for BERTH_HOME/berth.db,
 *   `<file>.blobs` for `sqlite:<file>`, so the log lives and moves with its database;
 * - else (PostgreSQL and no `store.blobs`) BERTH_HOME/blobs, which only this machine sees:
 *   `shared` is false, and other replicas cannot read what it holds (the caller warns).
 */
export async function openLogBlobStore(location: LogBlobStoreLocation): Promise<{ readonly blobs: BlobStore; readonly shared: boolean }> {
  if (location.blobs !== undefined && location.blobs !== '') return { blobs: await openBlobStore(location), shared: true };
  const url = location.databaseUrl;
  if (url !== undefined && /^sqlite:/i.test(url)) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    return { blobs: new FileBlobStore(`${resolve(file)}.blobs`), shared: true };
  }
  return { blobs: await openBlobStore({ home: location.home }), shared: url === undefined || url === '' };
}
