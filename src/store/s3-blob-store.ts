/**
 * Blobs as objects in an S3-compatible bucket, `<prefix>/sha256/<64 hex>`, through the official
 * AWS SDK. A blob is visible only when complete: S3 publishes an object only when its upload (one
 * PUT, or a multipart upload's completion) succeeds, and the upload's body stream hashes the bytes
 * it sends and fails at its end when they are not the expected digest, so a file that changed
 * while it was read never becomes a blob. Reads hash the bytes as they arrive; a blob that does
 * not hash to its key is refused and its copy removed.
 *
 * Region and credentials come from the SDK's default provider chain (AWS_REGION,
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE and the shared files).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { BerthError, Errors } from '../core/errors.js';
import { type BlobInfo, type BlobStore, digestHex, isDigest } from './blob-store.js';
import { DigestStream } from './digest-stream.js';
import { hashFile } from './durable-files.js';

/** Where an S3 blob store lives and how to reach it. */
export interface S3BlobStoreOptions {
  readonly bucket: string;
  /** Key prefix without leading or trailing `/`; empty for the bucket's root. */
  readonly prefix: string;
  /** Endpoint of an S3-compatible server (MinIO, Ceph, s3rver); default AWS's own. */
  readonly endpoint?: string | undefined;
  /** Address buckets as `endpoint/bucket` instead of `bucket.endpoint` (most S3-compatible servers). */
  readonly forcePathStyle?: boolean | undefined;
  /** Settings passed to the SDK client as they are (region, credentials); default its provider chain. */
  readonly client?: Omit<S3ClientConfig, 'endpoint' | 'forcePathStyle'>;
  /** Size of a multipart upload's parts in bytes; files up to one part go in one PUT. Default 16 MiB. */
  readonly partSize?: number;
  /** How long {@link S3BlobStore.check} waits for S3's answer, in ms. Default 15 s. */
  readonly checkTimeoutMs?: number;
  /** How long a connection may send nothing, connecting or mid-request, before the call fails (and is retried), in ms. Default 30 s. */
  readonly idleTimeoutMs?: number;
}

/** Objects up to this size can be copied onto themselves to mark them used (S3's CopyObject limit). */
const COPY_LIMIT = 5 * 1024 ** 3;
/** Object metadata holding when the blob was last stored or reused (S3 keeps LastModified on a self-copy only on AWS). */
const USED_AT = 'berth-used-at';
const DEFAULT_PART_SIZE = 16 * 1024 * 1024;
// The SDK waits for ever by default: an endpoint that accepts connections and never answers
// (a dropped route, a stuck proxy) would hang start-up and every load.
const DEFAULT_CHECK_TIMEOUT_MS = 15_000;
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** The blob store in an S3-compatible bucket; see the module comment. */
export class S3BlobStore implements BlobStore {
  readonly description: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #partSize: number;
  readonly #checkTimeoutMs: number;

  constructor(options: S3BlobStoreOptions) {
    this.#bucket = options.bucket;
    this.#prefix = options.prefix === '' ? '' : `${options.prefix}/`;
    this.#partSize = options.partSize ?? DEFAULT_PART_SIZE;
    this.#checkTimeoutMs = options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
    const idle = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.description = `blob store s3://${options.bucket}/${options.prefix}${options.endpoint ? ` at ${options.endpoint}` : ''}`;
    this.#client = new S3Client({
      requestHandler: { connectionTimeout: idle, socketTimeout: idle },
      ...options.client,
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? false,
    });
  }

  /** The object key of a blob. */
  keyOf(digest: string): string {
    return `${this.#prefix}sha256/${digestHex(digest)}`;
  }

  async check(): Promise<void> {
    // Listing proves the endpoint, the credentials, the region and the bucket at once. The prefix
    // matches no key (digests are hex), so the answer is empty and never truncated: s3rver cannot
    // make continuation tokens on Node 17+ (DES), and an empty answer costs S3 least.
    const deadline = AbortSignal.timeout(this.#checkTimeoutMs);
    try {
      await this.#bucketCall(() =>
        this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: `${this.#prefix}sha256/-`, MaxKeys: 1 }), { abortSignal: deadline }),
      );
    } catch (error) {
      if (!deadline.aborted) throw error;
      throw this.#unavailable(new Error(`no answer within ${this.#checkTimeoutMs / 1000} s`));
    }
  }

  async put(path: string, expected?: BlobInfo): Promise<BlobInfo> {
    if (expected && (await this.#touch(expected))) return expected;
    const wanted = expected ?? (await hashFile(path));
    // Failing at the end of the stream fails the upload before S3 is asked to publish the object.
    const verifying = new DigestStream(({ digest, size }) =>
      digest === wanted.digest && size === wanted.size
        ? undefined
        : Errors.STORE_BLOB_MISMATCH.create(path, wanted.digest, `it has ${digest} and ${size} bytes, expected ${wanted.size} bytes`),
    );
    let readError: unknown;
    const body = createReadStream(path, { highWaterMark: 1 << 20 }).on('error', (error) => {
      readError = error;
      verifying.destroy(error);
    });
    const upload = new Upload({
      client: this.#client,
      params: {
        Bucket: this.#bucket,
        Key: this.keyOf(wanted.digest),
        Body: body.pipe(verifying),
        ContentLength: wanted.size,
        ContentType: 'application/octet-stream',
        Metadata: { [USED_AT]: new Date().toISOString() },
      },
      partSize: this.#partSize,
      queueSize: 4,
    });
    try {
      await upload.done();
    } catch (error) {
      body.destroy();
      // The local file's own failure (it vanished, no permission) is reported as it is, like the file store does.
      if (readError) throw readError;
      throw mismatchIn(error) ?? this.#translate(error);
    }
    return { digest: wanted.digest, size: wanted.size };
  }

  async stat(digest: string): Promise<BlobInfo | undefined> {
    if (!isDigest(digest)) return undefined;
    const head = await this.#head(digest);
    return head ? { digest, size: head.ContentLength ?? 0 } : undefined;
  }

  async copyTo(digest: string, target: string): Promise<void> {
    const key = this.keyOf(digest);
    const response = await this.#call(() => this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }))).catch((error: unknown) => {
      if (isNotFound(error)) throw Errors.STORE_BLOB_MISSING.create(digest, this.description);
      throw error;
    });
    const hashing = new DigestStream();
    try {
      await pipeline(response.Body as Readable, hashing, createWriteStream(target));
    } catch (error) {
      await rm(target, { force: true });
      throw this.#translate(error);
    }
    const actual = hashing.info().digest;
    if (actual !== digest) {
      await rm(target, { force: true });
      throw Errors.STORE_BLOB_CORRUPT.create(digest, `s3://${this.#bucket}/${key} now hashes to ${actual}`);
    }
  }

  async delete(digest: string, options?: { readonly graceMs?: number }): Promise<boolean> {
    const head = await this.#head(digest);
    if (!head) return false;
    if (Date.now() - usedAt(head) < (options?.graceMs ?? 0)) return false;
    await this.#call(() => this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.keyOf(digest) })));
    return true;
  }

  async *list(): AsyncIterable<BlobInfo> {
    const prefix = `${this.#prefix}sha256/`;
    let token: string | undefined;
    do {
      const page = await this.#bucketCall(() => this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, ContinuationToken: token })));
      for (const object of page.Contents ?? []) {
        const digest = `sha256:${object.Key?.slice(prefix.length) ?? ''}`;
        if (isDigest(digest)) yield { digest, size: object.Size ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /**
   * Nothing to sweep: an upload either publishes a whole object or none. Parts of a multipart
   * upload interrupted by a crash stay with S3 until a bucket lifecycle rule
   * (AbortIncompleteMultipartUpload) removes them; the README says so.
   */
  async sweepTemporary(_olderThanMs: number): Promise<number> {
    return 0;
  }

  /** Closes the SDK client's connections. */
  close(): void {
    this.#client.destroy();
  }

  /** Marks an existing blob of that size as just used; false when it is not there (or too large to copy). */
  async #touch(expected: BlobInfo): Promise<boolean> {
    const head = await this.#head(expected.digest);
    if (head?.ContentLength !== expected.size || expected.size > COPY_LIMIT) return false;
    const key = this.keyOf(expected.digest);
    await this.#call(() =>
      this.#client.send(
        new CopyObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          CopySource: `${this.#bucket}/${key}`,
          MetadataDirective: 'REPLACE',
          ContentType: 'application/octet-stream',
          Metadata: { [USED_AT]: new Date().toISOString() },
        }),
      ),
    );
    return true;
  }

  async #head(digest: string): Promise<HeadObjectCommandOutput | undefined> {
    try {
      return await this.#call(() => this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.keyOf(digest) })));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Runs an SDK call, turning what S3 or the network says into catalogue errors. */
  async #call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.#translate(error);
    }
  }

  /**
   * Runs an SDK call on the bucket itself (listing): "not found" there means no bucket, or an
   * endpoint that is not S3 (a bare 404), never a missing blob, so it is the store that cannot be used.
   */
  async #bucketCall<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await this.#call(work);
    } catch (error) {
      if (isNotFound(error)) throw this.#unavailable(error);
      throw error;
    }
  }

  #translate(error: unknown): Error {
    if (error instanceof BerthError) return error;
    // Callers that look for a blob decide what a missing one means.
    if (isNotFound(error)) return error as Error;
    return this.#unavailable(error);
  }

  #unavailable(error: unknown): Error {
    const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
    const reason =
      error instanceof S3ServiceException ? `${error.name}: ${error.message}${status !== undefined ? ` (HTTP ${status})` : ''}` : error instanceof Error ? error.message || error.name : String(error);
    const translated = Errors.STORE_BLOBS_UNAVAILABLE.create(this.description, reason);
    translated.cause = error;
    return translated;
  }
}

/** When a blob was last stored or reused, in ms since the epoch. */
function usedAt(head: HeadObjectCommandOutput): number {
  const recorded = Date.parse(head.Metadata?.[USED_AT] ?? '');
  return Number.isFinite(recorded) ? recorded : (head.LastModified?.getTime() ?? 0);
}

function isNotFound(error: unknown): boolean {
  if (!(error instanceof S3ServiceException) || error.name === 'NoSuchBucket') return false;
  return error.name === 'NotFound' || error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404;
}

/** The digest mismatch the verifying stream raised, wherever the SDK wrapped it. */
function mismatchIn(error: unknown): BerthError | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (Errors.STORE_BLOB_MISMATCH.is(e)) return e;
  }
  return undefined;
}
