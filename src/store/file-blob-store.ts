/**
 * Blobs as files under one folder (BERTH_HOME/blobs): `sha256/<2 hex>/<64 hex>`, written through
 * `tmp/` and renamed into place, so a blob is visible only when complete and durable. Several
 * processes (and machines, on a shared volume) may use one folder at once.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, open, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Errors } from '../core/errors.js';
import { type BlobInfo, type BlobStore, digestHex, isDigest } from './blob-store.js';
import { DigestStream } from './digest-stream.js';
import { fsyncDirectory, temporarySibling } from './durable-files.js';

/** The blob store in a local (or mounted) folder. */
export class FileBlobStore implements BlobStore {
  readonly root: string;
  readonly description: string;

  /** `root` is the blobs folder, e.g. `BERTH_HOME/blobs`; it is created on first write. */
  constructor(root: string) {
    this.root = resolve(root);
    this.description = `blob folder ${this.root}`;
  }

  /** The file holding a blob (which may not exist). Local stores only; not part of BlobStore. */
  pathOf(digest: string): string {
    const hex = digestHex(digest);
    return join(this.root, 'sha256', hex.slice(0, 2), hex);
  }

  /** Nothing to reach: the folder is created on first write, and its errors say what is wrong. */
  async check(): Promise<void> {}

  async put(path: string, expected?: BlobInfo): Promise<BlobInfo> {
    if (expected && (await this.#touch(expected))) return expected;
    const temporaryDir = join(this.root, 'tmp');
    await mkdir(temporaryDir, { recursive: true });
    const temporary = temporarySibling(join(temporaryDir, 'blob'));
    let info: BlobInfo;
    try {
      info = await copyHashing(path, temporary, true);
      if (expected && (info.digest !== expected.digest || info.size !== expected.size)) {
        throw Errors.STORE_BLOB_MISMATCH.create(path, expected.digest, `it has ${info.digest} and ${info.size} bytes, expected ${expected.size} bytes`);
      }
      // Blobs are immutable; read-only files make an accidental edit in place less likely.
      await chmod(temporary, 0o444);
      const target = this.pathOf(info.digest);
      const shard = join(target, '..');
      await mkdir(shard, { recursive: true });
      // Renaming over an existing blob is harmless: same digest, same bytes.
      await rename(temporary, target);
      await fsyncDirectory(shard);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    return info;
  }

  async stat(digest: string): Promise<BlobInfo | undefined> {
    if (!isDigest(digest)) return undefined;
    try {
      const s = await stat(this.pathOf(digest));
      return { digest, size: s.size };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async copyTo(digest: string, target: string): Promise<void> {
    const source = this.pathOf(digest);
    let info: BlobInfo;
    try {
      info = await copyHashing(source, target, false);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !(await this.stat(digest))) {
        throw Errors.STORE_BLOB_MISSING.create(digest, this.description);
      }
      throw error;
    }
    if (info.digest !== digest) {
      await rm(target, { force: true });
      throw Errors.STORE_BLOB_CORRUPT.create(digest, `${source} now hashes to ${info.digest}`);
    }
  }

  async delete(digest: string, options?: { readonly graceMs?: number }): Promise<boolean> {
    const path = this.pathOf(digest);
    try {
      const s = await stat(path);
      if (Date.now() - s.mtimeMs < (options?.graceMs ?? 0)) return false;
      await rm(path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    const base = join(this.root, 'sha256');
    for (const shard of await readdirOrEmpty(base)) {
      for (const name of await readdirOrEmpty(join(base, shard))) {
        const digest = `sha256:${name}`;
        if (!isDigest(digest) || !name.startsWith(shard)) continue;
        const info = await this.stat(digest);
        if (info) yield info;
      }
    }
  }

  async sweepTemporary(olderThanMs: number): Promise<number> {
    const dir = join(this.root, 'tmp');
    let removed = 0;
    for (const name of await readdirOrEmpty(dir)) {
      try {
        const s = await stat(join(dir, name));
        if (Date.now() - s.mtimeMs >= olderThanMs) {
          await rm(join(dir, name), { force: true, recursive: true });
          removed++;
        }
      } catch {
        // Gone already: another process swept it or finished its write.
      }
    }
    return removed;
  }

  /** Nothing to let go of. */
  close(): void {}

  /** Marks an existing blob of that size as just used; false when it is not there. */
  async #touch(expected: BlobInfo): Promise<boolean> {
    const path = this.pathOf(expected.digest);
    try {
      const s = await stat(path);
      if (s.size !== expected.size) return false;
      const now = new Date();
      await utimes(path, now, now);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }
}

/** Copies `source` to `target` hashing the bytes; with `durable`, fsyncs `target` before closing. */
async function copyHashing(source: string, target: string, durable: boolean): Promise<BlobInfo> {
  const hashing = new DigestStream();
  await pipeline(createReadStream(source, { highWaterMark: 1 << 20 }), hashing, createWriteStream(target));
  if (durable) {
    // The rename that follows must publish bytes that are on disk, not in the page cache; fsync
    // through a new descriptor flushes the file's data all the same.
    const handle = await open(target, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  return hashing.info();
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
