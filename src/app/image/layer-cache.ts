/**
 * Written layers, kept between builds: a layer is found again by a key over its entries (path,
 * mode, and for files from disk their source, size, modification time and inode), so a build
 * whose runtime and Berth files have not changed rewrites only the model layer. Blobs live in one
 * content-addressed folder, which also serves as the build's blob store.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../store/durable-files.js';
import { type LayerEntry, normalizeEntries } from './layer-entry.js';
import { type WrittenLayer, writeLayer } from './layer-writer.js';

/** A folder of cached layers (`layers/<key>.json`) and their blobs (`blobs/sha256/<hex>`). */
export class LayerCache {
  constructor(readonly dir: string) {}

  /** Where blobs are kept, in OCI layout form (`<blobDir>/sha256/<hex>`). */
  get blobDir(): string {
    return join(this.dir, 'blobs');
  }

  /** The path of a blob by digest. */
  blobPath(digest: string): string {
    return join(this.blobDir, 'sha256', digest.slice('sha256:'.length));
  }

  /** The layer for these entries: from the cache when nothing in it changed, else written now. */
  async layer(entries: readonly LayerEntry[], gzipLevel: number): Promise<WrittenLayer & { readonly cached: boolean }> {
    const key = await cacheKey(entries, gzipLevel);
    const record = join(this.dir, 'layers', `${key}.json`);
    const known = await readFile(record, 'utf8').then((text) => JSON.parse(text) as WrittenLayer, () => undefined);
    if (known && (await stat(this.blobPath(known.digest)).catch(() => undefined))?.size === known.size) return { ...known, cached: true };
    await mkdir(join(this.dir, 'layers'), { recursive: true });
    const written = await writeLayer(entries, this.blobDir, gzipLevel);
    await writeFileAtomic(record, JSON.stringify(written));
    return { ...written, cached: false };
  }
}

async function cacheKey(entries: readonly LayerEntry[], gzipLevel: number): Promise<string> {
  const hash = createHash('sha256').update(`layer-v1 gzip ${gzipLevel}\n`);
  for (const entry of normalizeEntries(entries)) {
    if (entry.type === 'file' && 'source' in entry) {
      const s = await stat(entry.source);
      hash.update(JSON.stringify([entry.path, entry.mode, entry.source, s.size, s.mtimeMs, s.ino]));
    } else if (entry.type === 'file') {
      hash.update(JSON.stringify([entry.path, entry.mode, createHash('sha256').update(entry.content).digest('hex')]));
    } else {
      hash.update(JSON.stringify(entry));
    }
    hash.update('\n');
  }
  return hash.digest('hex');
}
