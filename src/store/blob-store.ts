/**
 * The blob store: immutable files addressed by the sha256 of their content. The interface is the
 * whole contract, small on purpose, so that a shared or remote store (S3, GCS, a shared
 * volume) sits behind it: {@link FileBlobStore} keeps blobs under BERTH_HOME/blobs,
 * {@link S3BlobStore} in an S3-compatible bucket. test/store/blob-store.contract.test.ts runs
 * one suite against both.
 *
 * Digests are written `sha256:<64 hex digits>` everywhere in Berth.
 */

/** A blob's digest (`sha256:<hex>`) and size in bytes. */
export interface BlobInfo {
  readonly digest: string;
  readonly size: number;
}

/** Content-addressed storage of immutable files. */
export interface BlobStore {
  /** Where the blobs live, for messages. */
  readonly description: string;
  /**
   * Confirms the store can be used now (reachable, credentials accepted); throws
   * BERTH_STORE_BLOBS_UNAVAILABLE saying why. Called once when a registry opens.
   */
  check(): Promise<void>;
  /**
   * Stores the content of the local file `path` and returns its digest. Durable and atomic: when
   * it resolves, the blob survives a crash; before, no reader sees any part of it. With
   * `expected`, content of another digest or size is refused with BERTH_STORE_BLOB_MISMATCH and
   * nothing is stored. Storing a blob that exists already only marks it as recently used.
   */
  put(path: string, expected?: BlobInfo): Promise<BlobInfo>;
  /** The blob's info, or undefined when there is no such blob. */
  stat(digest: string): Promise<BlobInfo | undefined>;
  /**
   * Copies the blob to the local file `target` (replacing it), checking the digest on the way.
   * Throws BERTH_STORE_BLOB_MISSING or BERTH_STORE_BLOB_CORRUPT.
   */
  copyTo(digest: string, target: string): Promise<void>;
  /**
   * Removes the blob unless it was stored or marked used within the last `graceMs` (default 0):
   * a writer that has just stored a blob it is about to reference keeps it alive that way.
   * Returns whether it was removed.
   */
  delete(digest: string, options?: { readonly graceMs?: number }): Promise<boolean>;
  /** Every blob's info. */
  list(): AsyncIterable<BlobInfo>;
  /** Removes leftovers of interrupted writes older than `olderThanMs`; returns how many. */
  sweepTemporary(olderThanMs: number): Promise<number>;
  /** Lets go of connections; the store is not used afterwards. */
  close(): void;
}

const DIGEST = /^sha256:([0-9a-f]{64})$/;

/** True when `value` is a digest in Berth's `sha256:<hex>` form. */
export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && DIGEST.test(value);
}

/** The 64 hex digits of a digest. Throws on anything but `sha256:<hex>`. */
export function digestHex(digest: string): string {
  const match = DIGEST.exec(digest);
  if (!match) throw new TypeError(`not a sha256 digest: ${digest}`);
  return match[1]!;
}
