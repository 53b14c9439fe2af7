/**
 * Writing an image as an OCI archive: a tar of an OCI image layout (`oci-layout`, `index.json`,
 * `blobs/sha256/…`) that `podman load` and `docker load` read. A Docker-style `manifest.json`
 * names the same blobs for Docker versions that predate OCI archives. The archive is written
 * beside its destination and renamed into place at the end, so a failed build (a full disk, a
 * missing blob) leaves no half-written archive behind.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

type TarHeader = Parameters<tar.Pack['entry']>[0];
import { temporarySibling } from '../../store/durable-files.js';

/** A blob to put in the archive: its bytes, or the file that holds them. */
export type ArchiveBlob = { readonly digest: string; readonly bytes: Uint8Array } | { readonly digest: string; readonly file: string };

/** What an archive holds. */
export interface OciArchiveContents {
  /** index.json's bytes. */
  readonly index: Uint8Array;
  /** Every blob the index reaches. */
  readonly blobs: readonly ArchiveBlob[];
  /** For Docker's `manifest.json`: the config and layer digests, and the image's name. */
  readonly docker: { readonly config: string; readonly layers: readonly string[]; readonly repoTag: string | undefined };
}

const ENTRY_TIME = new Date(0);

/** Writes the archive to `path` (atomically: all of it, or nothing). Returns its size in bytes. */
export async function writeOciArchive(path: string, contents: OciArchiveContents): Promise<number> {
  const temporary = temporarySibling(path);
  const pack = tar.pack();
  try {
    await Promise.all([pipeline(pack, createWriteStream(temporary, { flags: 'wx' })), addArchiveEntries(pack, contents)]);
    await rename(temporary, path);
    return (await stat(path)).size;
  } catch (error) {
    pack.destroy();
    await rm(temporary, { force: true });
    throw error;
  }
}

async function addArchiveEntries(pack: tar.Pack, contents: OciArchiveContents): Promise<void> {
  try {
    const blobPath = (digest: string) => `blobs/sha256/${digest.slice('sha256:'.length)}`;
    const docker = [{ Config: blobPath(contents.docker.config), RepoTags: contents.docker.repoTag ? [contents.docker.repoTag] : [], Layers: contents.docker.layers.map(blobPath) }];
    await addBytes(pack, 'oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
    await addBytes(pack, 'index.json', contents.index);
    await addBytes(pack, 'manifest.json', Buffer.from(JSON.stringify(docker)));
    await addDirectory(pack, 'blobs');
    await addDirectory(pack, 'blobs/sha256');
    const unique = new Map(contents.blobs.map((b) => [b.digest, b]));
    for (const digest of [...unique.keys()].sort()) {
      const blob = unique.get(digest)!;
      if ('bytes' in blob) {
        await addBytes(pack, blobPath(digest), blob.bytes);
      } else {
        const size = (await stat(blob.file)).size;
        await pipeline(createReadStream(blob.file), pack.entry({ ...header(blobPath(digest)), size }));
      }
    }
    pack.finalize();
  } catch (error) {
    pack.destroy(error as Error);
    throw error;
  }
}

function header(name: string): TarHeader {
  return { name, mtime: ENTRY_TIME, uid: 0, gid: 0, uname: 'root', gname: 'root', mode: 0o644, type: 'file' };
}

function addBytes(pack: tar.Pack, name: string, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => pack.entry({ ...header(name), size: bytes.length }, Buffer.from(bytes), (error) => (error ? reject(error) : resolve())));
}

function addDirectory(pack: tar.Pack, name: string): Promise<void> {
  return new Promise((resolve, reject) => pack.entry({ ...header(name), type: 'directory', mode: 0o755 }, (error) => (error ? reject(error) : resolve())));
}

/** The path of a blob inside a layout folder. */
export function layoutBlobPath(layoutDir: string, digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return join(layoutDir, 'blobs', algorithm!, hex!);
}
