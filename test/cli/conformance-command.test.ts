/**
 * `berth conformance` end to end: it writes its models, `berth serve` serves them, and the suite
 * passes against it in both profiles, with a text and a JSON report; against a server that serves
 * the wrong model under a conformance name it fails, says why, and exits 1.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OIP_CHECKS } from '../../dist/conformance/index.js';
import { type ServeProcess, runBerth, startBerthServe } from '../helpers/cli.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';

const models = join(tempDir(), 'oip-models');
let served: ServeProcess;

beforeAll(async () => {
  const written = await runBerth(['conformance', '--write-models', models]);
  expect(written.code, written.stderr).toBe(0);
  expect(written.stdout).toContain(`Wrote 14 conformance models to ${models}`);
  const files = readdirSync(models).filter((f) => f.endsWith('.onnx'));
  served = await startBerthServe([...files.map((f) => `${f.slice(0, -'.onnx'.length)}=${join(models, f)}`), '--port', '0']);
}, 120_000);
afterAll(() => {
  served?.child.kill('SIGTERM');
});

describe('berth conformance', () => {
  it('passes every check against berth serve, in text', async () => {
    const { code, stdout, stderr } = await runBerth(['conformance', served.url]);
    expect(code, stdout + stderr).toBe(0);
    expect(stdout).toContain(`Open Inference Protocol conformance of ${served.url} (berth `);
    expect(stdout).toContain('profile berth)');
    expect(stdout.match(/^ {2}PASS /gm)).toHaveLength(OIP_CHECKS.length);
    expect(stdout).toContain(`${OIP_CHECKS.length} passed, 0 failed, 0 skipped`);
  });

  it('reports JSON, and under the oip profile skips the Berth extensions', async () => {
    const { code, stdout } = await runBerth(['conformance', served.url, '--profile', 'oip', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { profile: string; passed: number; failed: number; skipped: number; results: { id: string; status: string; message?: string }[] };
    const berthOnly = OIP_CHECKS.filter((c) => c.berthOnly).map((c) => c.id);
    expect(berthOnly.length).toBeGreaterThan(0);
    expect(report).toMatchObject({ profile: 'oip', failed: 0, passed: OIP_CHECKS.length - berthOnly.length, skipped: berthOnly.length });
    expect(report.results.filter((r) => r.status === 'skipped').map((r) => r.id)).toEqual(berthOnly);
  });

  it('runs only the checks asked for', async () => {
    const { code, stdout } = await runBerth(['conformance', served.url, '--only', 'health', 'datatypes.binary.INT64', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { results: { id: string }[] };
    expect(report.results.map((r) => r.id)).toEqual([...OIP_CHECKS.filter((c) => c.id.startsWith('health')).map((c) => c.id), 'datatypes.binary.INT64']);
  });

  it('fails, says what came back and exits 1 for a server that does not conform', async () => {
    // An INT32 model served under the FP32 conformance name, and nothing else.
    const wrong = await startBerthServe([`conformance_fp32=${writeIdentityModel(tempDir(), 'INT32')}`, '--port', '0']);
    try {
      const { code, stdout } = await runBerth(['conformance', wrong.url]);
      expect(code).toBe(1);
      expect(stdout).toMatch(/^ {2}FAIL metadata\.model: /m);
      expect(stdout).toContain('inputs: expected [{"name":"x","datatype":"FP32","shape":[-1,3]}], got [{"name":"x","datatype":"INT32","shape":[-1,3]}]');
      expect(stdout).toMatch(/^ {2}FAIL datatypes\.json\.FP32: /m);
      expect(stdout).toMatch(/^ {2}SKIP datatypes\.json\.INT64: .*\n {7}not served: conformance_int64$/m);
      expect(stdout).toContain('Not served: conformance_bool');
      expect(stdout).toMatch(/\d+ passed, [1-9]\d* failed, \d+ skipped/);
    } finally {
      wrong.child.kill('SIGTERM');
    }
  });

  it('says BERTH_REMOTE_FAILED for a server that is not there', async () => {
    const { code, stderr } = await runBerth(['conformance', 'http://127.0.0.1:9']);
    expect(code).toBe(1);
    expect(stderr).toContain('The server at http://127.0.0.1:9 did not do what was asked: no answer to GET /v2');
    expect(stderr).toContain('[BERTH_REMOTE_FAILED]');
  });

  it('writes a Triton / KServe model repository', async () => {
    const repository = join(tempDir(), 'repository');
    const { code } = await runBerth(['conformance', '--write-models', repository, '--layout', 'repository']);
    expect(code).toBe(0);
    expect(existsSync(join(repository, 'conformance_pair', '1', 'model.onnx'))).toBe(true);
    expect(readdirSync(repository).sort()).toHaveLength(14);
  });
});
