/** The file blob store: content addressing, atomic and verified writes, verified reads, deletion. */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { Errors } from '../../src/core/errors.js';
import { FileBlobStore, hashBytes } from '../../src/store/index.js';

let dir: string;
let store: FileBlobStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-blobs-'));
  store = new FileBlobStore(join(dir, 'blobs'));
});

function source(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function sha256(content: string | Buffer): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

function listTemporary(): string[] {
  return existsSync(join(dir, 'blobs', 'tmp')) ? readdirSync(join(dir, 'blobs', 'tmp')) : [];
}

describe('FileBlobStore', () => {
  it('stores content under its sha256 in sha256/<2 hex>/<64 hex>', async () => {
    const content = Buffer.from('hello blobs');
    const info = await store.put(source('a', content));
    expect(info).toEqual({ digest: sha256(content), size: content.length });
    const hex = info.digest.slice('sha256:'.length);
    const path = join(dir, 'blobs', 'sha256', hex.slice(0, 2), hex);
    expect(store.pathOf(info.digest)).toBe(path);
    expect(readFileSync(path)).toEqual(content);
    expect(statSync(path).mode & 0o777).toBe(0o444);
    expect(listTemporary()).toEqual([]);
  });

  it('stores a larger file streamed in pieces exactly', async () => {
    const content = Buffer.alloc(5 * 1024 * 1024 + 7);
    for (let i = 0; i < content.length; i++) content[i] = (i * 31) & 0xff;
    const info = await store.put(source('big', content));
    expect(info.digest).toBe(sha256(content));
    expect(readFileSync(store.pathOf(info.digest)).equals(content)).toBe(true);
  });

  it('keeps one copy of equal content and refreshes its time when stored again', async () => {
    const first = await store.put(source('a', 'same'));
    const path = store.pathOf(first.digest);
    utimesSync(path, new Date(2000, 0, 1), new Date(2000, 0, 1));
    const again = await store.put(source('b', 'same'), first);
    expect(again).toEqual(first);
    expect(Date.now() - statSync(path).mtimeMs).toBeLessThan(60_000);
    const all: string[] = [];
    for await (const blob of store.list()) all.push(blob.digest);
    expect(all).toEqual([first.digest]);
  });

  it('refuses content that is not what was expected, storing nothing', async () => {
    const path = source('a', 'actual content');
    const error = await store.put(path, { digest: hashBytes('other content'), size: 13 }).catch((e: unknown) => e);
    expect(Errors.STORE_BLOB_MISMATCH.is(error)).toBe(true);
    expect(await store.stat(hashBytes('actual content'))).toBeUndefined();
    expect(await store.stat(hashBytes('other content'))).toBeUndefined();
    expect(listTemporary()).toEqual([]);
  });

  it('takes concurrent writers of the same content', async () => {
    const content = 'written by many';
    const infos = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => store.put(source(`s${i}`, content))));
    expect(new Set(infos.map((i) => i.digest))).toEqual(new Set([sha256(content)]));
    expect(readFileSync(store.pathOf(sha256(content)), 'utf8')).toBe(content);
    expect(listTemporary()).toEqual([]);
  });

  it('copies a blob out, checking its digest', async () => {
    const info = await store.put(source('a', 'payload'));
    const target = join(dir, 'out');
    await store.copyTo(info.digest, target);
    expect(readFileSync(target, 'utf8')).toBe('payload');
  });

  it('refuses to copy out a damaged blob (BERTH_STORE_BLOB_CORRUPT) and leaves no copy', async () => {
    const info = await store.put(source('a', 'payload'));
    chmodSync(store.pathOf(info.digest), 0o644);
    writeFileSync(store.pathOf(info.digest), 'paylo4d');
    const target = join(dir, 'out');
    const error = await store.copyTo(info.digest, target).catch((e: unknown) => e);
    expect(Errors.STORE_BLOB_CORRUPT.is(error)).toBe(true);
    expect(existsSync(target)).toBe(false);
  });

  it('reports a missing blob as BERTH_STORE_BLOB_MISSING', async () => {
    const error = await store.copyTo(hashBytes('never stored'), join(dir, 'out')).catch((e: unknown) => e);
    expect(Errors.STORE_BLOB_MISSING.is(error)).toBe(true);
  });

  it('deletes only blobs untouched for the grace period', async () => {
    const info = await store.put(source('a', 'x'));
    expect(await store.delete(info.digest, { graceMs: 60_000 })).toBe(false);
    expect(await store.stat(info.digest)).toBeDefined();
    expect(await store.delete(info.digest)).toBe(true);
    expect(await store.stat(info.digest)).toBeUndefined();
    expect(await store.delete(info.digest)).toBe(false);
  });

  it('lists blobs and ignores anything else in its folders', async () => {
    const a = await store.put(source('a', 'a'));
    const b = await store.put(source('b', 'b'));
    mkdirSync(join(dir, 'blobs', 'sha256', 'zz'), { recursive: true });
    writeFileSync(join(dir, 'blobs', 'sha256', 'zz', 'not-a-blob'), '');
    const listed: string[] = [];
    for await (const blob of store.list()) listed.push(blob.digest);
    expect(listed.sort()).toEqual([a.digest, b.digest].sort());
  });

  it('sweeps temporary files left by interrupted writes, once they are old', async () => {
    mkdirSync(join(dir, 'blobs', 'tmp'), { recursive: true });
    const stale = join(dir, 'blobs', 'tmp', '.blob.tmp-1-abc');
    writeFileSync(stale, 'half a blob');
    expect(await store.sweepTemporary(60_000)).toBe(0);
    utimesSync(stale, new Date(2000, 0, 1), new Date(2000, 0, 1));
    expect(await store.sweepTemporary(60_000)).toBe(1);
    expect(listTemporary()).toEqual([]);
  });
});
