/**
 * The blob store contract: one suite, run against the file store and the S3 store (a real
 * S3-compatible server on loopback, s3rver). What only one store has (file modes, the temporary
 * folder, S3's connection errors) is tested after the suite.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo, type Socket, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CopyObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Errors } from '../../src/core/errors.js';
import { type BlobStore, FileBlobStore, S3BlobStore, hashBytes, openBlobStore, parseS3Url } from '../../src/store/index.js';
import { startTestS3 } from '../helpers/s3-server.js';

const { s3, skip: s3Skip } = await startTestS3();
afterAll(() => s3?.close());

/** A store under test, with the few ways a test reaches behind it. */
interface Subject {
  readonly store: BlobStore;
  /** Makes the blob look stored long ago. */
  age(digest: string): Promise<void>;
  /** Replaces the blob's bytes behind the store's back. */
  damage(digest: string, content: string): Promise<void>;
  /** Puts something that is not a blob where the store keeps its blobs. */
  litter(): Promise<void>;
  cleanup(): Promise<void>;
}

interface Backend {
  readonly name: string;
  readonly skip: string | undefined;
  create(dir: string): Subject;
}

const LONG_AGO = new Date(Date.UTC(2000, 0, 1));

const BACKENDS: readonly Backend[] = [
  {
    name: 'file',
    skip: undefined,
    create(dir) {
      const store = new FileBlobStore(join(dir, 'blobs'));
      return {
        store,
        age: async (digest) => utimesSync(store.pathOf(digest), LONG_AGO, LONG_AGO),
        damage: async (digest, content) => {
          chmodSync(store.pathOf(digest), 0o644);
          writeFileSync(store.pathOf(digest), content);
        },
        litter: async () => {
          const path = join(store.root, 'sha256', 'zz', 'not-a-blob');
          await import('node:fs/promises').then((fs) => fs.mkdir(join(path, '..'), { recursive: true }));
          writeFileSync(path, '');
        },
        cleanup: async () => store.close(),
      };
    },
  },
  {
    name: 's3',
    skip: s3Skip,
    create() {
      const { bucket, prefix } = parseS3Url(s3!.url());
      // Parts of 5 MiB (S3's smallest) so that a 12 MiB file takes the multipart path.
      const store = new S3BlobStore({ bucket, prefix, endpoint: s3!.endpoint, forcePathStyle: true, client: s3!.client, partSize: 5 * 1024 * 1024 });
      const client = new S3Client({ ...s3!.client, endpoint: s3!.endpoint, forcePathStyle: true });
      return {
        store,
        age: async (digest) => {
          const key = store.keyOf(digest);
          await client.send(
            new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: `${bucket}/${key}`, MetadataDirective: 'REPLACE', Metadata: { 'berth-used-at': LONG_AGO.toISOString() } }),
          );
        },
        damage: async (digest, content) => {
          await client.send(new PutObjectCommand({ Bucket: bucket, Key: store.keyOf(digest), Body: content }));
        },
        litter: async () => {
          await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/sha256/not-a-blob`, Body: 'not a blob' }));
        },
        cleanup: async () => {
          for await (const blob of store.list()) await store.delete(blob.digest);
          store.close();
          client.destroy();
        },
      };
    },
  },
];

function sha256(content: string | Buffer): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

async function listed(store: BlobStore): Promise<string[]> {
  const digests: string[] = [];
  for await (const blob of store.list()) digests.push(blob.digest);
  return digests.sort();
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip !== undefined)(`BlobStore contract: ${backend.name}${backend.skip ? ` (${backend.skip})` : ''}`, () => {
    let dir: string;
    let subject: Subject;
    let store: BlobStore;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'berth-blob-contract-'));
      subject = backend.create(dir);
      store = subject.store;
    });
    afterEach(async () => {
      await subject.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    function source(name: string, content: string | Buffer): string {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    }

    it('is reachable', async () => {
      await expect(store.check()).resolves.toBeUndefined();
    });

    it('stores content under its sha256, and gives it back', async () => {
      const content = Buffer.from('hello blobs');
      const info = await store.put(source('a', content));
      expect(info).toEqual({ digest: sha256(content), size: content.length });
      expect(await store.stat(info.digest)).toEqual(info);
      const target = join(dir, 'out');
      await store.copyTo(info.digest, target);
      expect(readFileSync(target)).toEqual(content);
      expect(await listed(store)).toEqual([info.digest]);
    });

    it('stores a file larger than a part exactly (multipart for S3)', async () => {
      const content = Buffer.alloc(12 * 1024 * 1024 + 7);
      for (let i = 0; i < content.length; i++) content[i] = (i * 31) & 0xff;
      const info = await store.put(source('big', content), { digest: sha256(content), size: content.length });
      expect(info).toEqual({ digest: sha256(content), size: content.length });
      expect(await store.stat(info.digest)).toEqual(info);
      const target = join(dir, 'out');
      await store.copyTo(info.digest, target);
      expect(readFileSync(target).equals(content)).toBe(true);
    });

    it('stores an empty file', async () => {
      const info = await store.put(source('empty', ''));
      expect(info).toEqual({ digest: sha256(''), size: 0 });
      await store.copyTo(info.digest, join(dir, 'out'));
      expect(readFileSync(join(dir, 'out'), 'utf8')).toBe('');
    });

    it('keeps one copy of equal content, and storing it again marks it used', async () => {
      const first = await store.put(source('a', 'same'));
      await subject.age(first.digest);
      const again = await store.put(source('b', 'same'), first);
      expect(again).toEqual(first);
      expect(await listed(store)).toEqual([first.digest]);
      expect(await store.delete(first.digest, { graceMs: 60_000 })).toBe(false);
      expect(await store.stat(first.digest)).toEqual(first);
    });

    it('refuses content that is not what was expected, storing nothing', async () => {
      const path = source('a', 'actual content');
      const wrongDigest = await store.put(path, { digest: hashBytes('other content'), size: 14 }).catch((e: unknown) => e);
      expect(Errors.STORE_BLOB_MISMATCH.is(wrongDigest)).toBe(true);
      const wrongSize = await store.put(path, { digest: hashBytes('actual content'), size: 13 }).catch((e: unknown) => e);
      expect(Errors.STORE_BLOB_MISMATCH.is(wrongSize)).toBe(true);
      expect(await store.stat(hashBytes('actual content'))).toBeUndefined();
      expect(await store.stat(hashBytes('other content'))).toBeUndefined();
      expect(await listed(store)).toEqual([]);
      expect(await store.sweepTemporary(0)).toBe(0);
    });

    it('takes concurrent writers of the same content', async () => {
      const content = 'written by many';
      const infos = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => store.put(source(`s${i}`, content))));
      expect(new Set(infos.map((i) => i.digest))).toEqual(new Set([sha256(content)]));
      await store.copyTo(sha256(content), join(dir, 'out'));
      expect(readFileSync(join(dir, 'out'), 'utf8')).toBe(content);
      expect(await listed(store)).toEqual([sha256(content)]);
    });

    it('refuses to copy out a damaged blob (BERTH_STORE_BLOB_CORRUPT) and leaves no copy', async () => {
      const info = await store.put(source('a', 'payload'));
      await subject.damage(info.digest, 'paylo4d');
      const target = join(dir, 'out');
      const error = await store.copyTo(info.digest, target).catch((e: unknown) => e);
      expect(Errors.STORE_BLOB_CORRUPT.is(error)).toBe(true);
      expect(existsSync(target)).toBe(false);
    });

    it('reports a missing blob as BERTH_STORE_BLOB_MISSING, and stat as undefined', async () => {
      const error = await store.copyTo(hashBytes('never stored'), join(dir, 'out')).catch((e: unknown) => e);
      expect(Errors.STORE_BLOB_MISSING.is(error)).toBe(true);
      expect(await store.stat(hashBytes('never stored'))).toBeUndefined();
      expect(await store.stat('not a digest')).toBeUndefined();
    });

    it('deletes only blobs untouched for the grace period', async () => {
      const info = await store.put(source('a', 'x'));
      expect(await store.delete(info.digest, { graceMs: 60_000 })).toBe(false);
      expect(await store.stat(info.digest)).toBeDefined();
      await subject.age(info.digest);
      expect(await store.delete(info.digest, { graceMs: 60_000 })).toBe(true);
      expect(await store.stat(info.digest)).toBeUndefined();
      expect(await store.delete(info.digest)).toBe(false);
    });

    it('lists blobs and ignores anything else where they live', async () => {
      const a = await store.put(source('a', 'a'));
      const b = await store.put(source('b', 'b'));
      await subject.litter();
      expect(await listed(store)).toEqual([a.digest, b.digest].sort());
    });
  });
}

describe.skipIf(s3Skip !== undefined)(`S3BlobStore: reaching the server${s3Skip ? ` (${s3Skip})` : ''}`, () => {
  it('opens from an s3:// URL and checks the bucket', async () => {
    const store = await openBlobStore({ home: tmpdir(), blobs: s3!.url(), s3Endpoint: s3!.endpoint, s3ForcePathStyle: true, s3Client: s3!.client });
    expect(store).toBeInstanceOf(S3BlobStore);
    expect(store.description).toContain(`s3://${s3!.bucket}/`);
    store.close();
  });

  it('refuses wrong credentials with BERTH_STORE_BLOBS_UNAVAILABLE', async () => {
    const error = await openBlobStore({
      home: tmpdir(),
      blobs: s3!.url(),
      s3Endpoint: s3!.endpoint,
      s3ForcePathStyle: true,
      s3Client: { region: 'us-east-1', credentials: { accessKeyId: 'WRONG', secretAccessKey: 'WRONG' } },
    }).catch((e: unknown) => e);
    expect(Errors.STORE_BLOBS_UNAVAILABLE.is(error)).toBe(true);
    expect((error as Error).message).toMatch(/InvalidAccessKeyId/);
    expect((error as Error).message).toMatch(/AWS_ACCESS_KEY_ID/);
  });

  it('refuses a bucket that does not exist', async () => {
    const error = await openBlobStore({ home: tmpdir(), blobs: 's3://no-such-bucket/p', s3Endpoint: s3!.endpoint, s3ForcePathStyle: true, s3Client: s3!.client }).catch((e: unknown) => e);
    expect(Errors.STORE_BLOBS_UNAVAILABLE.is(error)).toBe(true);
    expect((error as Error).message).toMatch(/NoSuchBucket/);
  });

  it('refuses an endpoint that answers 404 to everything (a web server, not S3) with BERTH_STORE_BLOBS_UNAVAILABLE', async () => {
    const notS3 = createServer((_, res) => {
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => notS3.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(notS3.address() as AddressInfo).port}`;
    try {
      const error = await openBlobStore({ home: tmpdir(), blobs: 's3://berth-test/p', s3Endpoint: endpoint, s3ForcePathStyle: true, s3Client: { ...s3!.client, maxAttempts: 1 } }).catch((e: unknown) => e);
      expect(Errors.STORE_BLOBS_UNAVAILABLE.is(error), String(error)).toBe(true);
      expect((error as Error).message).toContain('HTTP 404');
      const store = new S3BlobStore({ bucket: 'berth-test', prefix: 'p', endpoint, forcePathStyle: true, client: { ...s3!.client, maxAttempts: 1 } });
      const listing = await listed(store).catch((e: unknown) => e);
      expect(Errors.STORE_BLOBS_UNAVAILABLE.is(listing), String(listing)).toBe(true);
      store.close();
    } finally {
      await new Promise((resolve) => notS3.close(resolve));
    }
  });

  it('gives up on an endpoint that accepts connections and never answers, at start and on every call', async () => {
    const sockets: Socket[] = [];
    const silent = createNetServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const options = { bucket: 'berth-test', prefix: 'p', endpoint, forcePathStyle: true, client: { ...s3!.client, maxAttempts: 1 } };
    try {
      const checked = new S3BlobStore({ ...options, checkTimeoutMs: 300 });
      const error = await checked.check().catch((e: unknown) => e);
      expect(Errors.STORE_BLOBS_UNAVAILABLE.is(error), String(error)).toBe(true);
      expect((error as Error).message).toContain('no answer within 0.3 s');
      checked.close();
      const idle = new S3BlobStore({ ...options, idleTimeoutMs: 300 });
      const copy = await idle.copyTo(hashBytes('x'), join(tmpdir(), `berth-never-${process.pid}`)).catch((e: unknown) => e);
      expect(Errors.STORE_BLOBS_UNAVAILABLE.is(copy), String(copy)).toBe(true);
      expect((copy as Error).message).toMatch(/timed out/);
      idle.close();
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('refuses an endpoint nothing listens on, and every call fails the same way', async () => {
    const options = { bucket: 'berth-test', prefix: 'p', endpoint: 'http://127.0.0.1:9', forcePathStyle: true, client: { ...s3!.client, maxAttempts: 1 } };
    const error = await openBlobStore({ home: tmpdir(), blobs: 's3://berth-test/p', s3Endpoint: options.endpoint, s3ForcePathStyle: true, s3Client: options.client }).catch((e: unknown) => e);
    expect(Errors.STORE_BLOBS_UNAVAILABLE.is(error)).toBe(true);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
    const store = new S3BlobStore(options);
    const copy = await store.copyTo(hashBytes('x'), join(tmpdir(), `berth-never-${process.pid}`)).catch((e: unknown) => e);
    expect(Errors.STORE_BLOBS_UNAVAILABLE.is(copy)).toBe(true);
    expect(Errors.STORE_BLOBS_UNAVAILABLE.httpStatus).toBe(503);
    store.close();
  });
});

describe('blob store locations', () => {
  it('parses s3:// URLs into bucket and prefix', () => {
    expect(parseS3Url('s3://models')).toEqual({ bucket: 'models', prefix: '' });
    expect(parseS3Url('s3://models/')).toEqual({ bucket: 'models', prefix: '' });
    expect(parseS3Url('s3://my.models-1/berth/prod/')).toEqual({ bucket: 'my.models-1', prefix: 'berth/prod' });
  });

  it.each([
    ['s3://', /bucket name/],
    ['s3://UPPER/p', /bucket name/],
    ['s3://ok-bucket/a//b', /empty/],
    ['s3://ok-bucket/a/../b', /\.\./],
  ])('refuses %s with BERTH_STORE_BLOBS_URL_INVALID', (url, reason) => {
    let error: unknown;
    try {
      parseS3Url(url);
    } catch (e) {
      error = e;
    }
    expect(Errors.STORE_BLOBS_URL_INVALID.is(error)).toBe(true);
    expect((error as Error).message).toMatch(reason);
  });

  it('opens a folder for a path, BERTH_HOME/blobs by default, and refuses other schemes', async () => {
    const home = mkdtempSync(join(tmpdir(), 'berth-blob-home-'));
    try {
      const byDefault = await openBlobStore({ home });
      expect((byDefault as FileBlobStore).root).toBe(join(home, 'blobs'));
      const folder = await openBlobStore({ home, blobs: join(home, 'shared') });
      expect((folder as FileBlobStore).root).toBe(join(home, 'shared'));
      const error = await openBlobStore({ home, blobs: 'gs://bucket/p' }).catch((e: unknown) => e);
      expect(Errors.STORE_BLOBS_URL_INVALID.is(error)).toBe(true);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
