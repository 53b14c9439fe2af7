/**
 * Versions' bundles unpacked on local disk (BERTH_HOME/bundles/<digest>): built from the blob
 * store on first use, checked against the version's digest on every open, rebuilt when damaged.
 */
import { chmod, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Kysely } from 'kysely';
import { BerthError } from '../core/errors.js';
import { type BlobStore, digestHex } from '../store/blob-store.js';
import { temporarySibling } from '../store/durable-files.js';
import type { StoreTables } from '../store/store-tables.js';
import { type Bundle, loadBundle } from './bundle.js';
import { MANIFEST_FILE } from './bundle-manifest.js';
import type { VersionDetail } from './registry-records.js';

/** Unpacked bundles, by digest. */
export class BundleCache {
  readonly #dir: string;
  readonly #blobs: BlobStore;
  readonly #db: Kysely<StoreTables>;

  constructor(dir: string, blobs: BlobStore, db: Kysely<StoreTables>) {
    this.#dir = dir;
    this.#blobs = blobs;
    this.#db = db;
  }

  /**
   * The version's bundle, verified; unpacked from the blobs first when missing or damaged. A
   * damaged blob is refused with BERTH_STORE_BLOB_CORRUPT (or _MISSING).
   */
  async open(version: VersionDetail): Promise<Bundle> {
    const dir = join(this.#dir, digestHex(version.digest));
    const where = `version ${version.model}:${version.version}`;
    try {
      return await loadBundle(dir, { expectedDigest: version.digest, where });
    } catch (error) {
      if (!(error instanceof BerthError) || !error.code.startsWith('BERTH_BUNDLE_')) throw error;
    }
    await this.#unpack(version, dir);
    return loadBundle(dir, { expectedDigest: version.digest, where });
  }

  /** Removes the unpacked bundle of `digest`, if any. */
  async remove(digest: string): Promise<void> {
    await rm(join(this.#dir, digestHex(digest)), { recursive: true, force: true });
  }

  /** Removes every unpacked bundle whose digest (hex) is not in `keep`; returns how many. */
  async removeAllBut(keep: ReadonlySet<string>): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.#dir).catch(() => [] as string[])) {
      if (!keep.has(name)) {
        await rm(join(this.#dir, name), { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }

  /** Rebuilds a version's bundle folder from its blobs, atomically. */
  async #unpack(version: VersionDetail, dir: string): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const building = temporarySibling(dir);
    await mkdir(building);
    try {
      for (const file of version.files) {
        const target = join(building, ...file.path.split('/'));
        await mkdir(dirname(target), { recursive: true });
        await this.#blobs.copyTo(file.digest, target);
        // Unpacked bundles are shared by every load of the version: make edits unlikely.
        await chmod(target, 0o444);
      }
      const manifest = await this.#db.selectFrom('versions').select('manifest').where('model', '=', version.model).where('number', '=', version.version).executeTakeFirstOrThrow();
      await writeFile(join(building, MANIFEST_FILE), manifest.manifest, { mode: 0o444 });
      // Move a damaged copy aside before putting the new one in its place; a reader that has it
      // open keeps its files.
      if (await stat(dir).catch(() => undefined)) {
        // Another process (a replica sharing this home) may have unpacked it meanwhile: keep a
        // good copy, since a loader may be reading it; only a damaged one is moved aside.
        const good = await loadBundle(dir, { expectedDigest: version.digest }).then(
          () => true,
          () => false,
        );
        if (good) return;
        const trash = temporarySibling(dir);
        await rename(dir, trash).catch(() => undefined);
        await rm(trash, { recursive: true, force: true });
      }
      await rename(building, dir).catch(async (error: NodeJS.ErrnoException) => {
        // Another process unpacked the same bundle first; theirs is as good as ours.
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      });
    } finally {
      await rm(building, { recursive: true, force: true });
    }
  }
}
