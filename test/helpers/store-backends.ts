/**
 * The metadata-store backends that contract suites run against: SQLite always (real files in a
 * temporary folder), PostgreSQL when BERTH_TEST_POSTGRES_URL is set (each location gets its own
 * schema, dropped afterwards, so parallel test files never meet).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** PostgreSQL for tests, e.g. postgres://postgres@127.0.0.1:5432/test; unset skips its suites. */
export const POSTGRES_URL = process.env.BERTH_TEST_POSTGRES_URL || undefined;

/** Why PostgreSQL suites are skipped, for suite names. */
export const POSTGRES_SKIP_REASON = 'skipped: set BERTH_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run against PostgreSQL';

/** Where one test's registry lives. */
export interface StoreLocation {
  /** BERTH_HOME, a fresh temporary folder. */
  readonly home: string;
  readonly databaseUrl: string | undefined;
  readonly schema: string | undefined;
  /** Drops the schema (PostgreSQL) and removes the folder. */
  cleanup(): Promise<void>;
}

/** A backend of the contract suites. */
export interface StoreBackend {
  readonly name: 'sqlite' | 'postgres';
  /** Set when the backend is not available here; the suite is skipped with this reason. */
  readonly skip: string | undefined;
  create(): StoreLocation;
}

function home(): string {
  return mkdtempSync(join(tmpdir(), 'berth-store-'));
}

/** A schema name unique to this process and call. */
export function uniqueSchema(): string {
  return `berth_test_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Drops a test schema and everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

/** SQLite, then PostgreSQL. */
export const STORE_BACKENDS: readonly StoreBackend[] = [
  {
    name: 'sqlite',
    skip: undefined,
    create() {
      const dir = home();
      return { home: dir, databaseUrl: undefined, schema: undefined, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'postgres',
    skip: POSTGRES_URL ? undefined : POSTGRES_SKIP_REASON,
    create() {
      const dir = home();
      const schema = uniqueSchema();
      return {
        home: dir,
        databaseUrl: POSTGRES_URL,
        schema,
        cleanup: async () => {
          await dropSchema(POSTGRES_URL!, schema);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

/** A few real ONNX models from the backend conformance suite, small and all different. */
export const ONNX_FIXTURES = {
  relu: new URL('../fixtures/onnx-backend/simple/test_single_relu_model.onnx', import.meta.url).pathname,
  sign: new URL('../fixtures/onnx-backend/simple/test_sign_model.onnx', import.meta.url).pathname,
  shrink: new URL('../fixtures/onnx-backend/simple/test_shrink.onnx', import.meta.url).pathname,
  avgPool: new URL('../fixtures/onnx-backend/pytorch-converted/test_AvgPool2d.onnx', import.meta.url).pathname,
  batchNorm: new URL('../fixtures/onnx-backend/pytorch-converted/test_BatchNorm2d_eval.onnx', import.meta.url).pathname,
} as const;
