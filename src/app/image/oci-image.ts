/**
 * The JSON documents of an OCI image: the image config (what runs, as whom, with which
 * environment and labels), the manifest (the config and the layers by digest) and the layout's
 * index. Each is serialised once, here, so its bytes (and so its digest) depend only on its
 * contents.
 */
import { createHash } from 'node:crypto';

export const CONFIG_MEDIA_TYPE = 'application/vnd.oci.image.config.v1+json';
export const MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';

/** The time written into the config and its history: fixed, so that builds are reproducible. */
export const IMAGE_CREATED = '1970-01-01T00:00:00Z';

/** A blob by digest, as manifests and indexes refer to it. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: { readonly architecture: string; readonly os: string };
}

/** The runtime part of an image config (Docker's and OCI's shared field names). */
export interface ContainerConfig {
  readonly User?: string;
  readonly ExposedPorts?: Readonly<Record<string, object>>;
  readonly Env?: readonly string[];
  readonly Entrypoint?: readonly string[] | null;
  readonly Cmd?: readonly string[] | null;
  readonly WorkingDir?: string;
  readonly Labels?: Readonly<Record<string, string>>;
  readonly StopSignal?: string;
  /** Docker's health check (OCI leaves it out; Docker and Podman's docker format read it). */
  readonly Healthcheck?: { readonly Test: readonly string[]; readonly Interval?: number; readonly Timeout?: number; readonly StartPeriod?: number; readonly Retries?: number };
}

/** An OCI image config. */
export interface ImageConfig {
  readonly created?: string;
  readonly architecture: string;
  readonly os: string;
  readonly config: ContainerConfig;
  readonly rootfs: { readonly type: 'layers'; readonly diff_ids: readonly string[] };
  readonly history?: readonly { readonly created?: string; readonly created_by?: string; readonly comment?: string; readonly empty_layer?: boolean }[];
}

/** A JSON document with its exact bytes and digest. */
export interface JsonBlob {
  readonly bytes: Buffer;
  readonly descriptor: Descriptor;
}

/** Serialises a document; the bytes are what the digest is computed over. */
export function jsonBlob(mediaType: string, document: unknown): JsonBlob {
  const bytes = Buffer.from(JSON.stringify(document));
  return { bytes, descriptor: { mediaType, digest: sha256(bytes), size: bytes.length } };
}

/** The manifest of an image with this config and these layers. */
export function imageManifest(config: Descriptor, layers: readonly Descriptor[], annotations: Readonly<Record<string, string>>): unknown {
  return {
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPE,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    annotations,
  };
}

/** The layout's index.json: one manifest, named `ref` when given. */
export function imageIndex(manifest: Descriptor, ref: string | undefined): unknown {
  return {
    schemaVersion: 2,
    mediaType: INDEX_MEDIA_TYPE,
    manifests: [
      {
        ...manifest,
        ...(ref ? { annotations: { 'org.opencontainers.image.ref.name': ref } } : {}),
        platform: { architecture: 'amd64', os: 'linux' },
      },
    ],
  };
}

/** `sha256:<hex>` of bytes. */
export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
