/**
 * PostgreSQL through `pg`: the production store, shared by every server replica.
 *
 * An optional schema keeps Berth's tables apart from others in the same database (and gives each
 * test run its own namespace); every pooled connection gets it as its search_path.
 */
import { CompiledQuery, type Dialect, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { Errors } from '../core/errors.js';
import type { StoreDialect } from './store-dialect.js';

/** A schema name Berth accepts: a plain lower-case SQL identifier. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const INT8_OID = 20;

/** Options for {@link postgresStoreDialect}. */
export interface PostgresStoreOptions {
  /** `postgres://user[:password]@host[:port]/database[?…]`. */
  readonly url: string;
  /** Schema for Berth's tables; created if missing. Default: the connection's current schema. */
  readonly schema?: string | undefined;
  /** Most connections the pool opens; default 10. */
  readonly maxConnections?: number | undefined;
}

/** The PostgreSQL dialect for a database URL. */
export function postgresStoreDialect(options: PostgresStoreOptions): StoreDialect {
  const { url, schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw Errors.STORE_DATABASE_URL_INVALID.create(redactUrl(url), `schema '${schema}' is not a plain lower-case identifier (letters, digits, '_')`);
  }
  const description = `PostgreSQL database ${redactUrl(url)}${schema ? ` (schema ${schema})` : ''}`;
  return {
    kind: 'postgres',
    description,
    createKyselyDialect(): Dialect {
      const pool = new pg.Pool({
        connectionString: url,
        max: options.maxConnections ?? 10,
        // Counts, sizes and sequence numbers are bigint columns; pg returns those as strings by
        // default. They stay far below 2^53, so numbers are exact. Set per pool, not globally.
        types: {
          getTypeParser: ((oid: number, format?: string) =>
            oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
        },
      });
      // An idle connection dropped by the server emits 'error' on the pool, which would crash
      // the process if unhandled; the next query reports the problem instead.
      pool.on('error', () => undefined);
      return new PostgresDialect({
        pool,
        onCreateConnection: schema
          ? async (connection) => {
              await connection.executeQuery(CompiledQuery.raw(`set search_path to "${schema}"`));
            }
          : undefined,
      });
    },
    async prepare(db) {
      if (schema) {
        await sql`create schema if not exists ${sql.id(schema)}`.execute(db).catch(async (error: unknown) => {
          // Two processes creating the schema at once: one of them loses, harmlessly.
          const found = await sql<{ n: number }>`select count(*)::int as n from pg_namespace where nspname = ${schema}`.execute(db);
          if (!found.rows[0]?.n) throw error;
        });
        return schema;
      }
      const current = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
      return current.rows[0]?.schema ?? 'public';
    },
  };
}

/** The URL with any password replaced by `***`, safe for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}
