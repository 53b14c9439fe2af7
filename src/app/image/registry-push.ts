/**
 * Pushing an image to a registry over the OCI distribution API: each blob the registry lacks is
 * uploaded in one PUT, then the manifest is put under the tag (registry-client.ts does the
 * authentication).
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { Errors } from '../../core/errors.js';
import { RegistryClient, parseImageReference, registryCredentials } from './registry-client.js';

/** A blob to push: its bytes or the file holding them. */
export type PushBlob = { readonly digest: string; readonly size: number } & ({ readonly bytes: Uint8Array } | { readonly file: string });

/** Options of {@link pushImage}. */
export interface PushOptions {
  /** `host[:port]/repository[:tag]`; the tag defaults to `latest`. */
  readonly reference: string;
  readonly insecure: boolean;
  /** Path of Docker's config.json, for credentials; absent: anonymous. */
  readonly dockerConfig?: string | undefined;
  readonly blobs: readonly PushBlob[];
  readonly manifest: { readonly mediaType: string; readonly bytes: Uint8Array; readonly digest: string };
  readonly onProgress?: (step: string) => void;
}

/** Where an image was pushed. */
export interface PushResult {
  /** `host/repository:tag` as given (tag filled in). */
  readonly reference: string;
  /** `host/repository@sha256:…`, the pushed manifest's digest, as the registry reported it. */
  readonly pinned: string;
  readonly digest: string;
  /** Blobs the registry already had. */
  readonly skipped: number;
}

/** Pushes the blobs and the manifest. Throws BERTH_IMAGE_PUSH_FAILED with the registry's answer. */
export async function pushImage(options: PushOptions): Promise<PushResult> {
  const ref = parseImageReference(options.reference, (reason) => Errors.IMAGE_PUSH_FAILED.create(options.reference, reason));
  const reference = `${ref.host}/${ref.repository}:${ref.tag}`;
  const base = `${options.insecure ? 'http' : 'https'}://${ref.host}/v2/${ref.repository}`;
  const client = new RegistryClient(ref, await registryCredentials(options.dockerConfig, ref.host), (reason) => Errors.IMAGE_PUSH_FAILED.create(reference, reason));
  const progress = options.onProgress ?? (() => {});
  let skipped = 0;
  for (const blob of options.blobs) {
    const head = await client.request('HEAD', `${base}/blobs/${blob.digest}`);
    if (head.status === 200) {
      skipped++;
      continue;
    }
    const start = await client.request('POST', `${base}/blobs/uploads/`);
    if (start.status !== 202) throw await client.refusal(start, `starting the upload of ${blob.digest}`);
    const location = start.headers.get('location');
    if (!location) throw Errors.IMAGE_PUSH_FAILED.create(reference, 'the registry started an upload without a Location');
    const url = new URL(location, base);
    url.searchParams.set('digest', blob.digest);
    const body = 'bytes' in blob ? Buffer.from(blob.bytes) : (Readable.toWeb(createReadStream(blob.file)) as ReadableStream<Uint8Array>);
    const put = await client.request('PUT', url.toString(), body, { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) });
    if (put.status !== 201) throw await client.refusal(put, `uploading ${blob.digest}`);
    progress(`pushed ${blob.digest} (${blob.size} bytes)`);
  }
  const put = await client.request('PUT', `${base}/manifests/${ref.tag}`, Buffer.from(options.manifest.bytes), { 'content-type': options.manifest.mediaType });
  if (put.status !== 201) throw await client.refusal(put, 'putting the manifest');
  const digest = put.headers.get('docker-content-digest') ?? options.manifest.digest;
  if (digest !== options.manifest.digest) throw Errors.IMAGE_PUSH_FAILED.create(reference, `the registry stored the manifest as ${digest}, not ${options.manifest.digest}`);
  progress(`pushed ${reference}`);
  return { reference, pinned: `${ref.host}/${ref.repository}@${digest}`, digest, skipped };
}

