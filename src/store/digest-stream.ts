/**
 * A pass-through stream that hashes (sha256) and counts the bytes that flow through it, so a blob
 * store learns a blob's digest while it copies the bytes, never in a second read.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { BlobInfo } from './blob-store.js';

/** Hashes and counts what passes; `check` runs before the stream ends, so its error fails the copy. */
export class DigestStream extends Transform {
  readonly #hash = createHash('sha256');
  #size = 0;
  #info: BlobInfo | undefined;
  readonly #check: ((info: BlobInfo) => Error | undefined) | undefined;

  constructor(check?: (info: BlobInfo) => Error | undefined) {
    super();
    this.#check = check;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#size += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    callback(this.#check?.(this.info()) ?? null);
  }

  /** The digest and size of every byte that passed; call once the stream has ended. */
  info(): BlobInfo {
    this.#info ??= { digest: `sha256:${this.#hash.digest('hex')}`, size: this.#size };
    return this.#info;
  }
}
