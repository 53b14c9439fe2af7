/**
 * Rate limits per client: a client is the live API key (or the admin token) it sends, else its
 * address, so made-up bearer tokens cannot buy fresh budgets; past the limit it gets 429 with
 * Retry-After and the catalogue's code, on HTTP and gRPC alike, and probes are never limited.
 */
import { credentials, Metadata, status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oipGrpcService } from '../../dist/serve/grpc/oip-grpc-proto.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';
import { startRegistryServer } from '../helpers/server.js';

const LIMIT = 5;
let server: Awaited<ReturnType<typeof startRegistryServer>>;
let client: Record<string, (request: unknown, metadata: Metadata, callback: (error: ServiceError | null, response: unknown) => void) => void> & { close(): void };
const keys: string[] = [];

beforeAll(async () => {
  const home = tempDir();
  const { openRegistry } = await import('../../dist/registry/index.js');
  const registry = await openRegistry({ home });
  await registry.register(writeIdentityModel(tempDir(), 'FP32'), { name: 'm', aliases: ['production'] });
  await registry.close();
  server = await startRegistryServer(home, { server: { rateLimitPerMinute: LIMIT, grpcPort: 0 } });
  for (const name of ['one', 'two']) keys.push((await server.registry.createKey({ scopes: ['predict'], name })).key);
  const Service = oipGrpcService();
  client = new Service(`127.0.0.1:${server.grpcPort}`, credentials.createInsecure()) as unknown as typeof client;
});
afterAll(async () => {
  client?.close();
  await server?.close();
});

function grpcCall(method: string, request: unknown, key?: string): Promise<ServiceError | null> {
  const metadata = new Metadata();
  if (key) metadata.set('authorization', `Bearer ${key}`);
  return new Promise((resolve) => client[method]!(request, metadata, (error) => resolve(error)));
}

describe('rate limits', () => {
  it('answers 429 with Retry-After past the limit, counts each valid key apart, puts made-up tokens in the address bucket, and never limits probes', async () => {
    const metadata = (headers: Record<string, string> = {}) => fetch(`${server.url}/v2/models/m`, { headers });
    for (let i = 0; i < LIMIT - 1; i++) expect((await metadata()).status).toBe(200);
    // A made-up token is the address: it takes the address's last request, and then is refused.
    expect((await metadata({ authorization: 'Bearer junk0' })).status).toBe(200);
    for (let i = 1; i < 4; i++) expect((await metadata({ authorization: `Bearer junk${i}` })).status, `junk${i}`).toBe(429);
    const limited = await metadata();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ code: 'BERTH_RATE_LIMITED', error: expect.stringContaining(`More than ${LIMIT} requests a minute`) });
    // Each live key from the same address has a budget of its own.
    for (const key of keys) {
      for (let i = 0; i < LIMIT; i++) expect((await metadata({ authorization: `Bearer ${key}` })).status).toBe(200);
      expect((await metadata({ authorization: `Bearer ${key}` })).status).toBe(429);
    }
    for (const path of ['/v2/health/live', '/v2/health/ready', '/metrics']) {
      for (let i = 0; i < LIMIT + 2; i++) expect((await fetch(`${server.url}${path}`)).status, path).toBe(200);
    }
  });

  it('limits gRPC calls too (RESOURCE_EXHAUSTED with a retry hint), and never its health calls', async () => {
    // gRPC clients have budgets of their own, apart from HTTP's: the address's HTTP budget is spent above.
    for (let i = 0; i < LIMIT; i++) expect(await grpcCall('ModelMetadata', { name: 'm' }, `junk${i}`)).toBeNull();
    const limited = await grpcCall('ModelMetadata', { name: 'm' });
    expect(limited?.code).toBe(grpcStatus.RESOURCE_EXHAUSTED);
    expect(limited?.details).toContain(`More than ${LIMIT} requests a minute`);
    expect(Number(limited?.metadata.get('retry-after')[0])).toBeGreaterThan(0);
    expect(await grpcCall('ModelMetadata', { name: 'm' }, keys[0])).toBeNull();
    for (let i = 0; i < LIMIT + 2; i++) expect(await grpcCall('ServerLive', {})).toBeNull();
  });

  it('counts refused guesses on a protected server: wrong tokens spend the address budget before their 401', async () => {
    const guarded = await startRegistryServer(tempDir(), { server: { rateLimitPerMinute: LIMIT, adminToken: 'the-admin-token-0123456789abcdef' } });
    try {
      const guess = (i: number) => fetch(`${guarded.url}/api/models`, { headers: { authorization: `Bearer berth_guess${i}` } });
      for (let i = 0; i < LIMIT; i++) expect((await guess(i)).status).toBe(401);
      expect((await guess(LIMIT)).status).toBe(429);
      const admin = await fetch(`${guarded.url}/api/models`, { headers: { authorization: 'Bearer the-admin-token-0123456789abcdef' } });
      expect(admin.status).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});
