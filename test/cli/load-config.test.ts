import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/cli/load-config.js';
import { drainDelayMs } from '../../src/core/config.js';
import { tempDir } from '../helpers/models.js';

describe('configuration', () => {
  it('has defaults', () => {
    const config = loadConfig({ env: {} });
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(config.runtime.execution).toBe('auto');
    expect(Object.isFrozen(config.server)).toBe(true);
  });

  it('layers file < environment < flags', () => {
    const file = join(tempDir(), 'c.json');
    writeFileSync(file, JSON.stringify({ server: { port: 1000, host: '0.0.0.0' }, runtime: { threads: 3 } }));
    const config = loadConfig({ file, env: { BERTH_PORT: '2000', BERTH_THREADS: '5' }, flags: { server: { port: 3000 } } });
    expect(config.server.port).toBe(3000);
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.runtime.threads).toBe(5);
  });

  it('names every bad setting', () => {
    expect(() => loadConfig({ env: { BERTH_PORT: 'x' } })).toThrow(/BERTH_PORT=x is not a number/);
    expect(() => loadConfig({ env: {}, flags: { server: { port: 70000 } } })).toThrow(/server\.port/);
    expect(() => loadConfig({ env: {}, flags: { server: { colour: 'red' } } as never })).toThrow(/colour/);
  });

  it('takes the PostgreSQL pool size from BERTH_DATABASE_POOL_SIZE, within 1 to 1000', () => {
    expect(loadConfig({ env: {} }).store.databasePoolSize).toBe(10);
    expect(loadConfig({ env: { BERTH_DATABASE_POOL_SIZE: '25' } }).store.databasePoolSize).toBe(25);
    expect(() => loadConfig({ env: { BERTH_DATABASE_POOL_SIZE: '0' } })).toThrow(/store\.databasePoolSize/);
    expect(() => loadConfig({ env: { BERTH_DATABASE_POOL_SIZE: '2.5' } })).toThrow(/store\.databasePoolSize/);
    expect(() => loadConfig({ env: { BERTH_DATABASE_POOL_SIZE: 'many' } })).toThrow(/BERTH_DATABASE_POOL_SIZE=many is not a number/);
  });

  it('takes the blob store and S3 settings from BERTH_BLOBS, BERTH_S3_ENDPOINT and BERTH_S3_FORCE_PATH_STYLE', () => {
    const config = loadConfig({
      env: { BERTH_BLOBS: 's3://models/berth', BERTH_S3_ENDPOINT: 'http://127.0.0.1:9000', BERTH_S3_FORCE_PATH_STYLE: 'true' },
    });
    expect(config.store).toMatchObject({ blobs: 's3://models/berth', s3Endpoint: 'http://127.0.0.1:9000', s3ForcePathStyle: true });
    expect(loadConfig({ env: { BERTH_S3_FORCE_PATH_STYLE: '0' } }).store.s3ForcePathStyle).toBe(false);
    expect(loadConfig({ env: { BERTH_BLOBS: 's3://a/b' }, flags: { store: { blobs: '/srv/blobs' } } }).store.blobs).toBe('/srv/blobs');
    expect(() => loadConfig({ env: { BERTH_S3_FORCE_PATH_STYLE: 'yes please' } })).toThrow(/BERTH_S3_FORCE_PATH_STYLE=yes please is not true or false/);
    expect(() => loadConfig({ env: { BERTH_S3_ENDPOINT: 'minio:9000' } })).toThrow(/store\.s3Endpoint/);
  });

  it('takes the model memory budget, its pinned aliases and the cold-load timeout from BERTH_MODEL_MEMORY, BERTH_PINNED_ALIASES and BERTH_COLD_LOAD_TIMEOUT_MS', () => {
    expect(loadConfig({ env: {} }).runtime).toMatchObject({ modelMemory: 0, pinnedAliases: [], coldLoadTimeoutMs: 30_000 });
    const config = loadConfig({ env: { BERTH_MODEL_MEMORY: '536870912', BERTH_PINNED_ALIASES: 'production, staging', BERTH_COLD_LOAD_TIMEOUT_MS: '5000' } });
    expect(config.runtime).toMatchObject({ modelMemory: 536870912, pinnedAliases: ['production', 'staging'], coldLoadTimeoutMs: 5000 });
    expect(loadConfig({ env: { BERTH_MODEL_MEMORY: '1000' }, flags: { runtime: { modelMemory: 2000 } } }).runtime.modelMemory).toBe(2000);
    expect(() => loadConfig({ env: { BERTH_MODEL_MEMORY: '-1' } })).toThrow(/runtime\.modelMemory/);
    expect(() => loadConfig({ env: { BERTH_PINNED_ALIASES: 'production,no way' } })).toThrow(/runtime\.pinnedAliases/);
  });

  it('takes the range of the drift gauges from BERTH_MONITOR_GAUGE_RANGE_MS, an hour by default, a minute at least', () => {
    expect(loadConfig({ env: {} }).monitor.gaugeRangeMs).toBe(3_600_000);
    expect(loadConfig({ env: { BERTH_MONITOR_GAUGE_RANGE_MS: '86400000' } }).monitor.gaugeRangeMs).toBe(86_400_000);
    expect(() => loadConfig({ env: { BERTH_MONITOR_GAUGE_RANGE_MS: '1000' } })).toThrow(/monitor\.gaugeRangeMs/);
  });

  it("keeps a model's batching settings to what was set, so the server's own fill the rest", () => {
    const config = loadConfig({ env: { BERTH_MAX_QUEUE: '10' }, flags: { models: { digits: { batching: { maxWaitMs: 2 } } } } });
    expect(config.models.digits!.batching).toEqual({ maxWaitMs: 2 });
    expect(config.batching).toEqual({ maxBatchSize: 64, maxWaitMs: 0, maxQueue: 10, timeoutMs: 30_000 });
    expect(() => loadConfig({ env: {}, flags: { models: { digits: { batching: { maxQueue: 1e12 } } } } })).toThrow(/models\.digits\.batching\.maxQueue/);
  });

  it('requires an admin token beyond loopback when the management API is served, naming the variable', () => {
    const beyond = { env: { BERTH_HOST: '0.0.0.0' } };
    const refusal = expect.objectContaining({ code: 'BERTH_CONFIG_INVALID', message: expect.stringMatching(/server\.adminToken: is required when the server listens on 0\.0\.0\.0.*BERTH_ADMIN_TOKEN/) });
    expect(() => loadConfig(beyond, { managementApi: true })).toThrow(refusal);
    expect(() => loadConfig({ env: { BERTH_HOST: '[::]' } }, { managementApi: true })).toThrow(expect.objectContaining({ code: 'BERTH_CONFIG_INVALID' }));
    expect(loadConfig({ env: { BERTH_HOST: '0.0.0.0', BERTH_ADMIN_TOKEN: 'secret-token' } }, { managementApi: true }).server.adminToken).toBe('secret-token');
    for (const host of ['127.0.0.1', '127.8.0.1', '::1', '[::1]', 'localhost']) expect(loadConfig({ env: { BERTH_HOST: host } }, { managementApi: true }).server.host).toBe(host);
    // Every spelling of a loopback address, and localhost in any case (core/loopback.ts)...
    for (const host of ['127.1', '0:0:0:0:0:0:0:1', '::ffff:7f00:1', 'LOCALHOST']) expect(loadConfig({ env: { BERTH_HOST: host } }, { managementApi: true }).server.host).toBe(host);
    // ...but not what is no address, nor names getaddrinfo looks up in DNS.
    for (const host of ['127.256.0.1', 'localhost.', 'berth.localhost']) expect(() => loadConfig({ env: { BERTH_HOST: host } }, { managementApi: true }), host).toThrow(expect.objectContaining({ code: 'BERTH_CONFIG_INVALID' }));
    // Serving model files only, or any other command: no management API, no token needed.
    expect(loadConfig(beyond).server.host).toBe('0.0.0.0');
    // Other problems are reported as they are, beside the missing token or instead of it.
    expect(() => loadConfig({ env: { BERTH_HOST: '0.0.0.0' }, flags: { server: { port: 70000 } } }, { managementApi: true })).toThrow(/server\.port/);
  });

  it('drains 5 s after SIGTERM by default only when listening beyond loopback', () => {
    for (const host of ['127.0.0.1', '[::1]', '::ffff:7f00:1', 'LOCALHOST']) expect(drainDelayMs(loadConfig({ env: { BERTH_HOST: host } })), host).toBe(0);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'localhost.']) expect(drainDelayMs(loadConfig({ env: { BERTH_HOST: host } })), host).toBe(5000);
    expect(drainDelayMs(loadConfig({ env: { BERTH_HOST: '0.0.0.0', BERTH_DRAIN_DELAY_MS: '0' } }))).toBe(0);
  });
});
