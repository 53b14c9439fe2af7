/**
 * Writes a layer: the entries as a tar stream (sorted, root-owned, one fixed time), gzipped, into
 * a blob folder named by its sha256. The tar's own sha256 is the layer's diff id (what the image
 * config lists); the gzip's is its digest (what the manifest lists). Node's zlib writes no time
 * or name into the gzip header, so equal entries give equal digests.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';

type TarHeader = Parameters<tar.Pack['entry']>[0];
import { temporarySibling } from '../../store/durable-files.js';
import { type LayerEntry, normalizeEntries } from './layer-entry.js';

/** The time every entry carries (the Unix epoch), as reproducible builds do. */
const ENTRY_TIME = new Date(0);

/** OCI media type of a gzipped layer. */
export const LAYER_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** A layer written to a blob folder. */
export interface WrittenLayer {
  readonly mediaType: string;
  /** `sha256:<hex>` of the gzipped blob. */
  readonly digest: string;
  /** Bytes of the gzipped blob. */
  readonly size: number;
  /** `sha256:<hex>` of the uncompressed tar. */
  readonly diffId: string;
  /** Bytes of the uncompressed tar. */
  readonly uncompressedSize: number;
}

/** Counts and hashes the bytes that pass through. */
class Measure extends Transform {
  readonly #hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  digest(): string {
    return `sha256:${this.#hash.digest('hex')}`;
  }
}

/**
 * Writes the entries as a gzipped tar into `blobDir/sha256/<hex>` and returns its descriptor.
 * Files are read as they are written; a file whose size changed since it was listed fails the
 * layer rather than writing a broken one.
 */
export async function writeLayer(entries: readonly LayerEntry[], blobDir: string, gzipLevel = 6): Promise<WrittenLayer> {
  const dir = join(blobDir, 'sha256');
  await mkdir(dir, { recursive: true });
  const temporary = temporarySibling(join(dir, 'layer'));
  const pack = tar.pack();
  const tarMeasure = new Measure();
  const gzMeasure = new Measure();
  try {
    await Promise.all([
      pipeline(pack, tarMeasure, createGzip({ level: gzipLevel }), gzMeasure, createWriteStream(temporary, { flags: 'wx' })),
      addEntries(pack, normalizeEntries(entries)),
    ]);
    const digest = gzMeasure.digest();
    await rename(temporary, join(dir, digest.slice('sha256:'.length)));
    return { mediaType: LAYER_MEDIA_TYPE, digest, size: gzMeasure.bytes, diffId: tarMeasure.digest(), uncompressedSize: tarMeasure.bytes };
  } catch (error) {
    pack.destroy();
    await rm(temporary, { force: true });
    throw error;
  }
}

async function addEntries(pack: tar.Pack, entries: readonly LayerEntry[]): Promise<void> {
  try {
    for (const entry of entries) {
      const header = { name: entry.path.slice(1), mtime: ENTRY_TIME, uid: 0, gid: 0, uname: 'root', gname: 'root' };
      if (entry.type === 'directory') {
        await addBuffer(pack, { ...header, type: 'directory', mode: entry.mode }, undefined);
      } else if (entry.type === 'symlink') {
        await addBuffer(pack, { ...header, type: 'symlink', linkname: entry.target, mode: 0o777 }, undefined);
      } else if ('content' in entry) {
        await addBuffer(pack, { ...header, type: 'file', mode: entry.mode, size: entry.content.length }, Buffer.from(entry.content));
      } else {
        const sink = pack.entry({ ...header, type: 'file', mode: entry.mode, size: entry.size });
        await pipeline(createReadStream(entry.source), sink);
      }
    }
    pack.finalize();
  } catch (error) {
    pack.destroy(error as Error);
    throw error;
  }
}

function addBuffer(pack: tar.Pack, header: TarHeader, content: Buffer | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error | null) => (error ? reject(error) : resolve());
    if (content) pack.entry(header, content, done);
    else pack.entry(header, done);
  });
}
