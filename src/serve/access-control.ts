/**
 * Who may do what: the credential a request sends (`Authorization: Bearer <credential>`, the same
 * on every protocol) is the admin token, which may do everything, or an API key of the registry,
 * which may do what its scopes allow, for its one model when it is limited to one. Transports say
 * what a request needs ({@link AccessNeed}) and render the catalogue error this throws.
 */
import { timingSafeEqual } from 'node:crypto';
import { type AccessScope, scopesAllow } from '../core/access-scope.js';
import { Errors } from '../core/errors.js';
import { type ApiKeyRecord, apiKeyHash } from '../registry/index.js';

/** What one request needs. */
export interface AccessNeed {
  /** Any one of these scopes will do. */
  readonly scopes: readonly AccessScope[];
  /** The model the request reaches; absent when it spans models (which keys limited to one model may not). */
  readonly model?: string | undefined;
  /** Says what the request does, in the refusal (`run models`, `change the registry`). */
  readonly action: string;
}

/** Options of {@link AccessControl}. */
export interface AccessControlOptions {
  /** The admin token (config's server.adminToken). */
  readonly adminToken?: string | undefined;
  /** Looks up a live API key (Registry.verifyKey); absent where there is no registry. */
  readonly verifyKey?: (key: string) => Promise<ApiKeyRecord | undefined>;
  /** How long a key looked up is trusted before it is looked up again, in ms. */
  readonly cacheMs?: number;
  readonly now?: () => number;
}

/** Keys looked up stay this long: a revocation on another replica takes effect within it. */
const DEFAULT_CACHE_MS = 1000;
/** Most lookups remembered; past it the memory is dropped, so unknown keys cannot grow it. */
const CACHE_LIMIT = 10_000;

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Checks credentials against what requests need. */
export class AccessControl {
  readonly #admin: Buffer | undefined;
  readonly #verifyKey: ((key: string) => Promise<ApiKeyRecord | undefined>) | undefined;
  readonly #cacheMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, { readonly key: ApiKeyRecord | undefined; readonly at: number }>();

  constructor(options: AccessControlOptions) {
    this.#admin = options.adminToken === undefined ? undefined : Buffer.from(options.adminToken);
    this.#verifyKey = options.verifyKey;
    this.#cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
    this.#now = options.now ?? Date.now;
  }

  /** True when any credential can be checked at all (an admin token, or a registry's keys). */
  get enabled(): boolean {
    return this.#admin !== undefined || this.#verifyKey !== undefined;
  }

  /**
   * Resolves when the `Authorization` header's credential may do what `need` says. Throws
   * BERTH_AUTH_REQUIRED (no credential), BERTH_AUTH_INVALID (not a live key nor the admin token)
   * or BERTH_AUTH_FORBIDDEN (a key without the scope, or limited to another model).
   */
  async check(authorization: string | undefined, need: AccessNeed): Promise<void> {
    const credential = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    if (credential === undefined) throw Errors.AUTH_REQUIRED.create();
    if (this.#isAdmin(credential)) return;
    const key = await this.#lookup(credential);
    if (!key) throw Errors.AUTH_INVALID.create();
    const label = `'${key.name}' (${key.id})`;
    if (!scopesAllow(key.scopes, need.scopes)) {
      throw Errors.AUTH_FORBIDDEN.create(label, `to ${need.action} needs scope ${need.scopes.join(' or ')}, and it has ${key.scopes.join(', ')}`);
    }
    if (key.model !== null && need.model !== key.model) {
      const reached = need.model === undefined ? 'this route spans every model' : `this request is for model '${need.model}'`;
      throw Errors.AUTH_FORBIDDEN.create(label, `it is limited to model '${key.model}', and ${reached}`);
    }
  }

  /**
   * Who the `Authorization` header's credential is when it is a live one: `admin` for the admin
   * token, else the API key's id; undefined for no credential or one that is not live. Rate limits
   * count clients by it, so made-up tokens cannot buy fresh budgets.
   */
  async identify(authorization: string | undefined): Promise<string | undefined> {
    const credential = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    if (credential === undefined) return undefined;
    if (this.#isAdmin(credential)) return 'admin';
    const key = await this.#lookup(credential);
    return key ? `key ${key.id}` : undefined;
  }

  /** Forgets keys looked up, so a key just revoked here is refused at once. */
  forget(): void {
    this.#cache.clear();
  }

  #isAdmin(credential: string): boolean {
    if (!this.#admin) return false;
    const given = Buffer.from(credential);
    return given.length === this.#admin.length && timingSafeEqual(given, this.#admin);
  }

  async #lookup(credential: string): Promise<ApiKeyRecord | undefined> {
    if (!this.#verifyKey) return undefined;
    const hash = apiKeyHash(credential);
    const now = this.#now();
    const cached = this.#cache.get(hash);
    if (cached && now - cached.at < this.#cacheMs) return cached.key;
    const key = await this.#verifyKey(credential);
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(hash, { key, at: now });
    return key;
  }
}
