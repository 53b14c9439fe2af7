/**
 * API keys: credentials with scopes (core/access-scope.ts), optionally limited to one model,
 * kept in the metadata database so every replica knows them. A key is 32 random bytes, shown once
 * when it is created; only its sha256 is stored. A plain hash is enough for keys this random (no
 * password-style stretching is needed: there is nothing to guess), and it makes a request's key
 * one indexed lookup. Creating and revoking a key are changes in the audit log.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type AccessScope, isAccessScope } from '../core/access-scope.js';
import { Errors } from '../core/errors.js';
import { validateModelName } from '../core/names.js';
import type { StoreTables } from '../store/store-tables.js';
import type { ChangeLog } from './change-log.js';
import type { ApiKeyRecord, AuditActor } from './registry-records.js';

/** Every key starts with this, so secret scanners and people recognise one. */
export const API_KEY_PREFIX = 'berth_';
const MAX_KEY_NAME = 128;

/** What {@link ApiKeys.create} needs. */
export interface CreateApiKeyOptions {
  readonly scopes: readonly string[];
  /** Limit the key to this model; absent: every model. */
  readonly model?: string | undefined;
  /** A name for people (`checkout-service`); default `key-<id>`. */
  readonly name?: string | undefined;
}

/** A key just created: its record, and the key itself, which is never shown again. */
export interface CreatedApiKey {
  readonly record: ApiKeyRecord;
  readonly key: string;
}

/** The hash under which a key is stored and looked up. */
export function apiKeyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

type Row = StoreTables['api_keys'];

function toRecord(row: Row): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as AccessScope[],
    model: row.model,
    hint: row.hint,
    created: row.created_at,
    revoked: row.revoked_at,
  };
}

/** The registry's API keys. */
export class ApiKeys {
  readonly #db: Kysely<StoreTables>;
  readonly #changes: ChangeLog;
  readonly #now: () => Date;

  constructor(db: Kysely<StoreTables>, changes: ChangeLog, now: () => Date) {
    this.#db = db;
    this.#changes = changes;
    this.#now = now;
  }

  /**
   * Creates a key. Throws BERTH_API_KEY_INVALID, or for its model BERTH_REGISTRY_NAME_INVALID or
   * BERTH_REGISTRY_MODEL_NOT_FOUND (not registered).
   */
  async create(options: CreateApiKeyOptions, actor: AuditActor): Promise<CreatedApiKey> {
    const scopes = [...new Set(options.scopes)];
    if (scopes.length === 0) throw Errors.API_KEY_INVALID.create('no scope was given');
    const unknown = scopes.find((s) => !isAccessScope(s));
    if (unknown !== undefined) throw Errors.API_KEY_INVALID.create(`'${unknown}' is not a scope`);
    const model = options.model === undefined ? null : validateModelName(options.model);
    const id = randomBytes(6).toString('hex');
    const name = options.name?.trim() || `key-${id}`;
    if (name.length > MAX_KEY_NAME) throw Errors.API_KEY_INVALID.create(`the name is ${name.length} characters long`);
    const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const row: Row = {
      id,
      name,
      scopes: JSON.stringify(scopes),
      model,
      hash: apiKeyHash(key),
      hint: `${key.slice(0, API_KEY_PREFIX.length + 4)}…`,
      created_at: this.#now().toISOString(),
      revoked_at: null,
    };
    await this.#changes.change(actor, async (trx, log) => {
      // A key for a model that is not registered (a typo) could never be used: refused, not made.
      if (model !== null && !(await trx.selectFrom('models').select('name').where('name', '=', model).executeTakeFirst())) {
        throw Errors.REGISTRY_MODEL_NOT_FOUND.create(model);
      }
      await trx.insertInto('api_keys').values(row).execute();
      await log({ action: 'key.create', ...(model ? { model } : {}), details: { id, name, scopes } });
    });
    return { record: toRecord(row), key };
  }

  /** Every key, revoked ones included, oldest first. */
  async list(): Promise<ApiKeyRecord[]> {
    const rows = await this.#db.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(toRecord);
  }

  /** Revokes a key: requests with it are refused from then on. Idempotent. Throws BERTH_API_KEY_NOT_FOUND. */
  async revoke(id: string, actor: AuditActor): Promise<ApiKeyRecord> {
    return this.#changes.change(actor, async (trx, log) => {
      const row = await trx.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw Errors.API_KEY_NOT_FOUND.create(id);
      if (row.revoked_at !== null) return toRecord(row);
      const revoked = { ...row, revoked_at: this.#now().toISOString() };
      await trx.updateTable('api_keys').set({ revoked_at: revoked.revoked_at }).where('id', '=', id).execute();
      await log({ action: 'key.revoke', ...(row.model ? { model: row.model } : {}), details: { id, name: row.name } });
      return toRecord(revoked);
    });
  }

  /** The live (unrevoked) key `key` is, or undefined. */
  async verify(key: string): Promise<ApiKeyRecord | undefined> {
    if (!key.startsWith(API_KEY_PREFIX)) return undefined;
    const row = await this.#db.selectFrom('api_keys').selectAll().where('hash', '=', apiKeyHash(key)).executeTakeFirst();
    return row && row.revoked_at === null ? toRecord(row) : undefined;
  }
}
