/**
 * The registry's garbage collection: blobs no version references, unpacked bundles of deleted
 * versions, and temporary files of interrupted writes. Safe to run while others use the registry.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { type BlobStore, digestHex } from '../store/blob-store.js';
import { referencedDigests } from '../store/blob-references.js';
import type { StoreTables } from '../store/store-tables.js';
import type { BundleCache } from './bundle-cache.js';

/** What garbage collection works on. */
export interface GarbageCollectionTarget {
  readonly db: Kysely<StoreTables>;
  readonly blobs: BlobStore;
  readonly bundles: BundleCache;
  /** BERTH_HOME/tmp. */
  readonly temporary: string;
}

/** What a collection removed. */
export interface GarbageCollected {
  readonly blobsRemoved: number;
  readonly bundlesRemoved: number;
  readonly temporaryRemoved: number;
}

/**
 * Removes blobs no version references (older than `graceMs`), unpacked bundles of deleted
 * versions, and temporary work older than `temporaryAgeMs`.
 */
export async function collectGarbage(target: GarbageCollectionTarget, options: { readonly graceMs: number; readonly temporaryAgeMs: number }): Promise<GarbageCollected> {
  const { db, blobs, bundles, temporary } = target;
  const used = await referencedDigests(db);
  let blobsRemoved = 0;
  for await (const blob of blobs.list()) {
    if (!used.has(blob.digest) && (await blobs.delete(blob.digest, { graceMs: options.graceMs }))) blobsRemoved++;
  }
  const kept = new Set((await db.selectFrom('versions').select('digest').distinct().execute()).map((r) => digestHex(r.digest)));
  const bundlesRemoved = await bundles.removeAllBut(kept);
  let temporaryRemoved = await blobs.sweepTemporary(options.temporaryAgeMs);
  for (const name of await readdir(temporary).catch(() => [] as string[])) {
    const s = await stat(join(temporary, name)).catch(() => undefined);
    if (s && Date.now() - s.mtimeMs >= options.temporaryAgeMs) {
      await rm(join(temporary, name), { recursive: true, force: true });
      temporaryRemoved++;
    }
  }
  return { blobsRemoved, bundlesRemoved, temporaryRemoved };
}
