/**
 * A real S3-compatible server for tests: s3rver on loopback with a fresh folder and the bucket
 * `berth-test`, or the server BERTH_TEST_S3_ENDPOINT names (with the AWS_* credentials of the
 * environment and an existing bucket BERTH_TEST_S3_BUCKET, default `berth-test`). Each caller gets
 * its own key prefix, so test files sharing a server never meet.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3ClientConfig } from '@aws-sdk/client-s3';

/** A running S3-compatible server. */
export interface TestS3 {
  readonly endpoint: string;
  readonly bucket: string;
  /** Region and credentials the server accepts. */
  readonly client: Omit<S3ClientConfig, 'endpoint' | 'forcePathStyle'>;
  /** Environment for a `berth` child process using this server (AWS_* and BERTH_S3_*). */
  readonly env: Record<string, string>;
  /** A new `s3://bucket/<unique prefix>` URL. */
  url(): string;
  /** Stops the server (idempotent); a test may stop it early to see S3 go away. */
  close(): Promise<void>;
}

/** Why S3 suites are skipped, when they are. */
export type TestS3OrSkip = { readonly s3: TestS3; readonly skip: undefined } | { readonly s3: undefined; readonly skip: string };

/** Starts s3rver (or uses BERTH_TEST_S3_ENDPOINT); never throws: a failure becomes a skip reason. */
export async function startTestS3(): Promise<TestS3OrSkip> {
  const external = process.env.BERTH_TEST_S3_ENDPOINT;
  if (external) {
    const bucket = process.env.BERTH_TEST_S3_BUCKET || 'berth-test';
    return { s3: testS3(external, bucket, { region: process.env.AWS_REGION || 'us-east-1' }, {}, async () => {}), skip: undefined };
  }
  const dir = mkdtempSync(join(tmpdir(), 'berth-s3rver-'));
  try {
    const { default: S3rver } = await import('s3rver');
    const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: 'berth-test', configs: [] }] });
    const { port } = await server.run();
    const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
    const env = { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey };
    return {
      s3: testS3(`http://127.0.0.1:${port}`, 'berth-test', { region: 'us-east-1', credentials }, env, async () => {
        await server.close();
        rmSync(dir, { recursive: true, force: true });
      }),
      skip: undefined,
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return {
      s3: undefined,
      skip: `skipped: s3rver could not start on loopback (${(error as Error).message}); set BERTH_TEST_S3_ENDPOINT (and AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, BERTH_TEST_S3_BUCKET) to run against another S3-compatible server`,
    };
  }
}

function testS3(endpoint: string, bucket: string, client: TestS3['client'], credentialsEnv: Record<string, string>, stop: () => Promise<void>): TestS3 {
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    bucket,
    client,
    env: { ...credentialsEnv, AWS_REGION: String(client.region), BERTH_S3_ENDPOINT: endpoint, BERTH_S3_FORCE_PATH_STYLE: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    url: () => `s3://${bucket}/t-${process.pid}-${randomBytes(4).toString('hex')}`,
    close: () => (stopped ??= stop()),
  };
}
