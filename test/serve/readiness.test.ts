/**
 * Readiness tells the truth: a server whose versions could not load is not ready (and says which
 * and why), one whose model still answers through an earlier version is, and it becomes ready
 * once the missing version loads.
 */
import { cpSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openRegistry } from '../../dist/registry/index.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';
import { eventually, startRegistryServer } from '../helpers/server.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function readiness(url: string): Promise<{ status: number; body: { ready: boolean; code?: string; error?: string; unloaded?: { model: string; version: string }[] } }> {
  const response = await fetch(`${url}/v2/health/ready`);
  return { status: response.status, body: (await response.json()) as never };
}

describe('readiness', () => {
  it('is false while a version that should be served could not load, and true once it loads', async () => {
    const home = tempDir();
    const registry = await openRegistry({ home });
    await registry.register(writeIdentityModel(tempDir(), 'FP32'), { name: 'ident', aliases: ['production'] });
    await registry.close();
    // The blobs go missing (a wrong volume, an emptied bucket) before the server starts.
    renameSync(join(home, 'blobs'), join(home, 'blobs-away'));
    rmSync(join(home, 'bundles'), { recursive: true, force: true });

    const server = await startRegistryServer(home);
    close = () => server.close();
    const before = await readiness(server.url);
    expect(before.status).toBe(503);
    expect(before.body).toMatchObject({ ready: false, code: 'BERTH_SERVER_VERSIONS_UNLOADED', unloaded: [{ model: 'ident', version: '1' }] });
    expect(before.body.error).toContain('ident:1');
    expect((await fetch(`${server.url}/v2/health/live`)).status).toBe(200);

    // The blobs come back; the server retries on its own and becomes ready.
    cpSync(join(home, 'blobs-away'), join(home, 'blobs'), { recursive: true });
    expect(await eventually(async () => (await readiness(server.url)).status === 200, 20_000)).toBe(true);
    expect((await fetch(`${server.url}/v2/models/ident/ready`)).status).toBe(200);
  });

  it('stays true while an earlier version keeps serving a model whose new version cannot load', async () => {
    const home = tempDir();
    const dir = tempDir();
    const registry = await openRegistry({ home });
    await registry.register(writeIdentityModel(dir, 'FP32'), { name: 'ident', aliases: ['production'] });
    const server = await startRegistryServer(home);
    close = async () => {
      await server.close();
      await registry.close();
    };
    expect((await readiness(server.url)).status).toBe(200);
    // Version 2's blobs are missing: it cannot load, and version 1 keeps answering.
    const { version } = await registry.register(writeIdentityModel(dir, 'FP64'), { name: 'ident' });
    for (const file of version.files) rmSync(join(home, 'blobs', 'sha256', file.digest.slice(7, 9), file.digest.slice(7)), { force: true });
    rmSync(join(home, 'bundles'), { recursive: true, force: true });
    await registry.setAlias('ident', 'production', 2);
    expect(await eventually(async () => ((await (await fetch(`${server.url}/api/server`)).json()) as { failures: unknown[] }).failures.length > 0, 10_000)).toBe(true);
    expect((await readiness(server.url)).status).toBe(200);
    expect((await fetch(`${server.url}/v2/models/ident`)).status).toBe(200);
  });
});
