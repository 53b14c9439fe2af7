/**
 * Pushing an image to a registry over the OCI distribution API: each blob the registry lacks is
 * uploaded in one PUT, then the manifest is put under the tag. Credentials come from Docker's
 * config.json (`auths.<host>.auth`), answered to a Basic challenge or exchanged for a Bearer
 * token, as `docker push` does. `insecure` speaks plain HTTP, for registries on loopback.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Errors } from '../../core/errors.js';

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

/** A parsed `host[:port]/repository[:tag]`. */
export interface ImageReference {
  readonly host: string;
  readonly repository: string;
  readonly tag: string;
}

/** Parses a push reference; throws BERTH_IMAGE_PUSH_FAILED when it has no registry host. */
export function parseImageReference(reference: string): ImageReference {
  const slash = reference.indexOf('/');
  const host = slash > 0 ? reference.slice(0, slash) : '';
  if (!host || !/[.:]|^localhost$/.test(host)) {
    throw Errors.IMAGE_PUSH_FAILED.create(reference, 'name the registry host first, e.g. registry.example.com/team/loans:3 or 127.0.0.1:5000/loans:3');
  }
  let rest = reference.slice(slash + 1);
  let tag = 'latest';
  const colon = rest.lastIndexOf(':');
  if (colon > 0 && !rest.slice(colon).includes('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(rest)) {
    throw Errors.IMAGE_PUSH_FAILED.create(reference, `'${rest}' is not a repository name (lower-case letters, digits and . _ - separated by /)`);
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) throw Errors.IMAGE_PUSH_FAILED.create(reference, `'${tag}' is not a tag`);
  return { host, repository: rest, tag };
}

/** Pushes the blobs and the manifest. Throws BERTH_IMAGE_PUSH_FAILED with the registry's answer. */
export async function pushImage(options: PushOptions): Promise<PushResult> {
  const ref = parseImageReference(options.reference);
  const reference = `${ref.host}/${ref.repository}:${ref.tag}`;
  const base = `${options.insecure ? 'http' : 'https'}://${ref.host}/v2/${ref.repository}`;
  const client = new RegistryClient(ref, await credentials(options.dockerConfig, ref.host), reference);
  const progress = options.onProgress ?? (() => {});
  let skipped = 0;
  for (const blob of options.blobs) {
    const head = await client.request('HEAD', `${base}/blobs/${blob.digest}`);
    if (head.status === 200) {
      skipped++;
      continue;
    }
    const start = await client.request('POST', `${base}/blobs/uploads/`);
    if (start.status !== 202) throw await client.failure(start, `starting the upload of ${blob.digest}`);
    const location = start.headers.get('location');
    if (!location) throw Errors.IMAGE_PUSH_FAILED.create(reference, 'the registry started an upload without a Location');
    const url = new URL(location, base);
    url.searchParams.set('digest', blob.digest);
    const body = 'bytes' in blob ? Buffer.from(blob.bytes) : (Readable.toWeb(createReadStream(blob.file)) as ReadableStream<Uint8Array>);
    const put = await client.request('PUT', url.toString(), body, { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) });
    if (put.status !== 201) throw await client.failure(put, `uploading ${blob.digest}`);
    progress(`pushed ${blob.digest} (${blob.size} bytes)`);
  }
  const put = await client.request('PUT', `${base}/manifests/${ref.tag}`, Buffer.from(options.manifest.bytes), { 'content-type': options.manifest.mediaType });
  if (put.status !== 201) throw await client.failure(put, 'putting the manifest');
  const digest = put.headers.get('docker-content-digest') ?? options.manifest.digest;
  if (digest !== options.manifest.digest) throw Errors.IMAGE_PUSH_FAILED.create(reference, `the registry stored the manifest as ${digest}, not ${options.manifest.digest}`);
  progress(`pushed ${reference}`);
  return { reference, pinned: `${ref.host}/${ref.repository}@${digest}`, digest, skipped };
}

/** `user:password` for a registry host from Docker's config.json, if it has one. */
async function credentials(dockerConfig: string | undefined, host: string): Promise<string | undefined> {
  if (!dockerConfig) return undefined;
  const text = await readFile(dockerConfig, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  try {
    const auths = (JSON.parse(text) as { auths?: Record<string, { auth?: string }> }).auths ?? {};
    const entry = auths[host] ?? auths[`https://${host}`] ?? auths[`http://${host}`];
    return entry?.auth ? Buffer.from(entry.auth, 'base64').toString('utf8') : undefined;
  } catch {
    return undefined;
  }
}

/** Requests with the registry's authentication dance: anonymous first, then as the challenge asks. */
class RegistryClient {
  #authorization: string | undefined;

  constructor(
    private readonly ref: ImageReference,
    private readonly login: string | undefined,
    private readonly reference: string,
  ) {}

  async request(method: string, url: string, body?: Buffer | ReadableStream<Uint8Array>, headers: Record<string, string> = {}): Promise<Response> {
    const send = (authorization: string | undefined) =>
      fetch(url, {
        method,
        headers: { ...headers, ...(authorization ? { authorization } : {}) },
        ...(body ? { body, duplex: 'half' } : {}),
        redirect: 'follow',
      } as RequestInit).catch((error: Error) => {
        const cause = (error.cause as Error | undefined)?.message ?? error.message;
        throw Errors.IMAGE_PUSH_FAILED.create(this.reference, `cannot reach ${new URL(url).host} (${cause}); is the registry running, and does it speak ${url.startsWith('http:') ? 'plain HTTP' : 'HTTPS (use --insecure-registry for plain HTTP)'}?`);
      });
    const response = await send(this.#authorization);
    if (response.status !== 401 || (body && !Buffer.isBuffer(body))) return response;
    await response.body?.cancel();
    this.#authorization = await this.#authorize(response.headers.get('www-authenticate') ?? '');
    return send(this.#authorization);
  }

  async #authorize(challenge: string): Promise<string> {
    const basic = this.login ? `Basic ${Buffer.from(this.login).toString('base64')}` : undefined;
    if (/^basic/i.test(challenge)) {
      if (!basic) throw Errors.IMAGE_PUSH_FAILED.create(this.reference, `the registry wants a login; log in with docker login ${this.ref.host} (or podman login --authfile) first`);
      return basic;
    }
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!.toLowerCase(), m[2]!]));
    if (!/^bearer/i.test(challenge) || !params.realm) throw Errors.IMAGE_PUSH_FAILED.create(this.reference, `the registry asked for authentication it did not describe (${challenge || 'no challenge'})`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', params.scope ?? `repository:${this.ref.repository}:pull,push`);
    const answer = await fetch(url, { headers: basic ? { authorization: basic } : {} }).catch((error: Error) => {
      throw Errors.IMAGE_PUSH_FAILED.create(this.reference, `cannot reach the token service ${url.host} (${error.message})`);
    });
    if (!answer.ok) throw Errors.IMAGE_PUSH_FAILED.create(this.reference, `the token service answered ${answer.status}; check the login for ${this.ref.host}`);
    const token = (await answer.json()) as { token?: string; access_token?: string };
    const value = token.token ?? token.access_token;
    if (!value) throw Errors.IMAGE_PUSH_FAILED.create(this.reference, 'the token service answered without a token');
    return `Bearer ${value}`;
  }

  /** A push error carrying the registry's own message. */
  async failure(response: Response, doing: string): Promise<Error> {
    const text = await response.text().catch(() => '');
    let detail = text.slice(0, 300);
    try {
      const errors = (JSON.parse(text) as { errors?: { code?: string; message?: string }[] }).errors;
      if (errors?.length) detail = errors.map((e) => `${e.code ?? ''} ${e.message ?? ''}`.trim()).join('; ');
    } catch {
      // Not JSON: the text itself says what happened.
    }
    const hint = response.status === 401 || response.status === 403 ? '; log in to the registry with push rights' : '';
    return Errors.IMAGE_PUSH_FAILED.create(this.reference, `${doing} was refused with ${response.status}${detail ? ` (${detail})` : ''}${hint}`);
  }
}
