/**
 * The registry's garbage collection: blobs no version references, unpacked bundles of deleted
 * versions, and temporary files of interrupted writes. Safe to run while others use the registry.
 */
import type { Kysely } from 'kysely';
import { type BlobStore, digestHex } from '../store/blob-store.js';
import { referencedDigests } from '../store/blob-references.js';
import { removeStaleEntries } from '../store/stale-entries.js';
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
  const temporaryRemoved = await collectTemporary({ blobs, temporary }, options.temporaryAgeMs);
  return { blobsRemoved, bundlesRemoved, temporaryRemoved };
}

/**
 * Removes temporary work of interrupted writes and requests (killed `register` and `import` runs,
 * uploads of failed or cut-off requests) that has not changed for `olderThanMs`: in
 * BERTH_HOME/tmp, each upload in its `uploads` folder on its own, and the blob store's. Returns
 * how many entries went.
 */
export async function collectTemporary(target: Pick<GarbageCollectionTarget, 'blobs' | 'temporary'>, olderThanMs: number): Promise<number> {
  const blobs = await target.blobs.sweepTemporary(olderThanMs);
  return blobs + (await removeStaleEntries(target.temporary, olderThanMs, { containers: ['uploads'] }));
}
