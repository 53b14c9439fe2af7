/**
 * The Python client (clients/python/berth_client.py, standard library only) under Debian's
 * python3 against live Berth servers: every datatype in JSON and binary, output selection,
 * catalogue errors, registering a bundle, named-feature prediction, feedback and the registry.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeConformanceModels } from '../../dist/conformance/index.js';
import { exportBundle } from '../../dist/registry/index.js';
import type { RunningServer } from '../../dist/serve/server.js';
import { tempDir } from '../helpers/models.js';
import { startRegistryServer, startTestServer } from '../helpers/server.js';
import { trainBundle } from '../helpers/trained.js';

/** Debian's python3 (apt-get install python3; .ci/run installs it). */
const PYTHON = '/usr/bin/python3';
const NO_PYTHON = existsSync(PYTHON) && spawnSync(PYTHON, ['--version']).status === 0 ? undefined : `Debian's python3 is not at ${PYTHON}: apt-get install python3`;
const SCRIPT = new URL('./python/check_berth_client.py', import.meta.url).pathname;
const TOKEN = 'python-client-token';

function runPython(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, [SCRIPT, ...args], { env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(NO_PYTHON !== undefined)(`the Python client${NO_PYTHON ? ` (skipped: ${NO_PYTHON})` : ''}`, () => {
  let oip: RunningServer;
  let registry: Awaited<ReturnType<typeof startRegistryServer>>;
  let bundle: string;
  beforeAll(async () => {
    oip = await startTestServer(await writeConformanceModels(tempDir()));
    registry = await startRegistryServer(tempDir(), { server: { adminToken: TOKEN }, monitor: { windowMs: 1000, flushIntervalMs: 200 } });
    bundle = join(tempDir(), 'iris.berth');
    await exportBundle(await trainBundle('iris.csv', 'species', 'iris'), bundle);
  }, 120_000);
  afterAll(async () => {
    await oip?.close();
    await registry?.close();
  });

  it('speaks the protocol and the management API under python3 with the standard library only', async () => {
    const { code, stdout, stderr } = await runPython([oip.url, registry.url, TOKEN, bundle]);
    expect(code, stderr).toBe(0);
    const seen = JSON.parse(stdout) as Record<string, unknown>;
    expect(seen.server).toBe('berth');
    expect(seen.roundTrips).toHaveLength(26);
    expect(seen.selected).toEqual([['product', [3, 8]]]);
    expect(seen.missingInput).toEqual([400, 'BERTH_INPUT_MISSING', true]);
    expect(seen.outOfRange).toBe("Tensor 'x', element 0: 256 is not a UINT8 integer (0 to 255)");
    expect(seen.anonymous).toEqual([401, 'BERTH_AUTH_REQUIRED']);
    expect(seen.registered).toEqual(['iris', 1, ['production']]);
    expect([seen.label, seen.csvLabel]).toEqual(['setosa', 'virginica']);
    expect(seen.feedbackAccepted).toBe(1);
    expect(seen.models).toEqual(['iris']);
    expect(seen.alias).toBe(1);
    expect(seen.versions).toEqual([1]);
    expect(seen.inUse).toEqual([409, 'BERTH_REGISTRY_VERSION_IN_USE']);
    expect(seen.audit).toEqual(expect.arrayContaining(['alias.set', 'version.register']));
  });
});
