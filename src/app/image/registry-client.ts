/**
 * Talking to a registry over the OCI distribution API: image references, and requests with the
 * registry's authentication dance. Credentials come from Docker's config.json
 * (`auths.<host>.auth`), answered to a Basic challenge or exchanged for a Bearer token, as
 * `docker push` and `docker pull` do. `insecure` speaks plain HTTP, for registries on loopback.
 */
import { readFile } from 'node:fs/promises';

/** A parsed `host[:port]/repository[:tag]`. */
export interface ImageReference {
  readonly host: string;
  readonly repository: string;
  readonly tag: string;
}

/**
 * Parses `host[:port]/repository[:tag]`; `failure` makes the error (push and pull name their own).
 * A reference without a registry host (`node:20-slim`, `library/node`) means Docker Hub.
 */
export function parseImageReference(reference: string, failure: (reason: string) => Error): ImageReference {
  const slash = reference.indexOf('/');
  const first = slash > 0 ? reference.slice(0, slash) : '';
  const explicit = /[.:]|^localhost$/.test(first);
  // docker.io is Docker Hub's name; its registry API answers at registry-1.docker.io.
  const host = !explicit || first === 'docker.io' || first === 'index.docker.io' ? 'registry-1.docker.io' : first;
  let rest = explicit ? reference.slice(slash + 1) : reference.includes('/') ? reference : `library/${reference}`;
  let tag = 'latest';
  const colon = rest.lastIndexOf(':');
  if (colon > 0 && !rest.slice(colon).includes('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(rest)) {
    throw failure(`'${rest}' is not a repository name (lower-case letters, digits and . _ - separated by /)`);
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) throw failure(`'${tag}' is not a tag`);
  return { host, repository: rest, tag };
}

/** `user:password` for a registry host from Docker's config.json, if it has one. */
export async function registryCredentials(dockerConfig: string | undefined, host: string): Promise<string | undefined> {
  if (!dockerConfig) return undefined;
  const text = await readFile(dockerConfig, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  try {
    const auths = (JSON.parse(text) as { auths?: Record<string, { auth?: string }> }).auths ?? {};
    // Docker keeps Docker Hub's login under its old index address.
    const hub = host === 'registry-1.docker.io' ? auths['https://index.docker.io/v1/'] : undefined;
    const entry = auths[host] ?? auths[`https://${host}`] ?? auths[`http://${host}`] ?? hub;
    return entry?.auth ? Buffer.from(entry.auth, 'base64').toString('utf8') : undefined;
  } catch {
    return undefined;
  }
}

/** Requests with the registry's authentication dance: anonymous first, then as the challenge asks. */
export class RegistryClient {
  #authorization: string | undefined;

  /** `failure(reason)` makes this client's errors (BERTH_IMAGE_PUSH_FAILED or the pull's own). */
  constructor(
    private readonly ref: ImageReference,
    private readonly login: string | undefined,
    private readonly failure: (reason: string) => Error,
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
        throw this.failure(`cannot reach ${new URL(url).host} (${cause}); is the registry running, and does it speak ${url.startsWith('http:') ? 'plain HTTP' : 'HTTPS (use --insecure-registry for plain HTTP)'}?`);
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
      if (!basic) throw this.failure(`the registry wants a login; log in with docker login ${this.ref.host} (or podman login --authfile) first`);
      return basic;
    }
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!.toLowerCase(), m[2]!]));
    if (!/^bearer/i.test(challenge) || !params.realm) throw this.failure(`the registry asked for authentication it did not describe (${challenge || 'no challenge'})`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', params.scope ?? `repository:${this.ref.repository}:pull,push`);
    const answer = await fetch(url, { headers: basic ? { authorization: basic } : {} }).catch((error: Error) => {
      throw this.failure(`cannot reach the token service ${url.host} (${error.message})`);
    });
    if (!answer.ok) throw this.failure(`the token service answered ${answer.status}; check the login for ${this.ref.host}`);
    const token = (await answer.json()) as { token?: string; access_token?: string };
    const value = token.token ?? token.access_token;
    if (!value) throw this.failure('the token service answered without a token');
    return `Bearer ${value}`;
  }

  /** An error carrying the registry's own message for a refused request. */
  async refusal(response: Response, doing: string): Promise<Error> {
    const text = await response.text().catch(() => '');
    let detail = text.slice(0, 300);
    try {
      const errors = (JSON.parse(text) as { errors?: { code?: string; message?: string }[] }).errors;
      if (errors?.length) detail = errors.map((e) => `${e.code ?? ''} ${e.message ?? ''}`.trim()).join('; ');
    } catch {
      // Not JSON: the text itself says what happened.
    }
    const hint = response.status === 401 || response.status === 403 ? '; log in to the registry with push rights' : '';
    return this.failure(`${doing} was refused with ${response.status}${detail ? ` (${detail})` : ''}${hint}`);
  }
}
