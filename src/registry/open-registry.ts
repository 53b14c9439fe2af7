/** Opening the registry of a BERTH_HOME (and, optionally, a PostgreSQL database). */
import { join, resolve } from 'node:path';
import { FileBlobStore } from '../store/file-blob-store.js';
import { openMetadataStore } from '../store/metadata-store.js';
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
  /** Blob folder; default BERTH_HOME/blobs (point replicas at one shared folder). */
  readonly blobDir?: string | undefined;
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
  const store = await openMetadataStore({ home, databaseUrl: options.databaseUrl, schema: options.schema });
  return new Registry({
    store,
    blobs: new FileBlobStore(options.blobDir ?? join(home, 'blobs')),
    home,
    ...(options.actor ? { actor: options.actor } : {}),
    ...(options.blobGraceMs !== undefined ? { blobGraceMs: options.blobGraceMs } : {}),
  });
}
