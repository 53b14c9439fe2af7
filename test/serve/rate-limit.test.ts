/**
 * Rate limits per client: a client is its bearer token when it sends one, else its address;
 * past the limit it gets 429 with Retry-After and the catalogue's code, and probes are never
 * limited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../dist/serve/server.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';
import { startTestServer } from '../helpers/server.js';

const LIMIT = 5;
let server: RunningServer;

beforeAll(async () => {
  server = await startTestServer([{ name: 'm', path: writeIdentityModel(tempDir(), 'FP32') }], { server: { rateLimitPerMinute: LIMIT } });
});
afterAll(async () => {
  await server?.close();
});

describe('rate limits', () => {
  it('answers 429 with Retry-After past the limit, counts each bearer token apart, and never limits probes', async () => {
    const metadata = (headers: Record<string, string> = {}) => fetch(`${server.url}/v2/models/m`, { headers });
    for (let i = 0; i < LIMIT; i++) expect((await metadata()).status).toBe(200);
    const limited = await metadata();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ code: 'BERTH_RATE_LIMITED', error: expect.stringContaining(`More than ${LIMIT} requests a minute`) });
    // Another key from the same address has a budget of its own.
    const key = { authorization: 'Bearer another-client-key' };
    for (let i = 0; i < LIMIT; i++) expect((await metadata(key)).status).toBe(200);
    expect((await metadata(key)).status).toBe(429);
    for (const path of ['/v2/health/live', '/v2/health/ready', '/metrics']) {
      for (let i = 0; i < LIMIT + 2; i++) expect((await fetch(`${server.url}${path}`)).status, path).toBe(200);
    }
  });
});
