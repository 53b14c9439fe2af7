/**
 * `berth export --target node`: a folder that runs with plain `node` and nothing else. It is run
 * from a temporary folder outside the repository (no node_modules anywhere above it, so neither
 * Berth nor onnxruntime can be found by resolution) and must predict what the server predicts.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainBundle } from '../../dist/app/train-bundle.js';
import { exportTargetFolder } from '../../dist/app/export-target.js';
import { loadBundle, openRegistry } from '../../dist/registry/index.js';
import type { RunningServer } from '../../dist/serve/server.js';
import { runBerth } from '../helpers/cli.js';
import { fixtureCases, firstMismatch } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/models.js';
import { postJson, startRegistryServer } from '../helpers/server.js';
import { DATASETS } from '../helpers/trained.js';

const run = promisify(execFile);
const rows = (parse(readFileSync(join(DATASETS, 'loans_current_drifted.csv'), 'utf8'), { columns: true }) as Record<string, string>[])
  .slice(0, 100)
  .map(({ defaulted: _target, ...features }) => features);

let home: string;
let folder: string;
let server: RunningServer;

beforeAll(async () => {
  const dir = tempDir('berth-node-export-');
  home = join(dir, 'home');
  const bundleDir = join(dir, 'loans.bundle');
  await trainBundle({ csv: { file: join(DATASETS, 'loans_reference.csv') }, target: 'defaulted', algorithm: 'linear', seed: 7, name: 'loans', outDir: bundleDir });
  const registry = await openRegistry({ home, actor: { interface: 'test' } });
  await registry.register(bundleDir, { aliases: ['production'] });
  await registry.close();
  folder = join(dir, 'loans-node');
  const result = await runBerth(['export', 'loans', '--target', 'node', '-o', folder, '--home', home, '--json']);
  expect(result.code, result.stderr).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ model: 'loans', version: 1, target: 'node', dir: folder });
  server = await startRegistryServer(home);
}, 180_000);

afterAll(async () => {
  await server?.close();
});

describe('berth export --target node', () => {
  it('predicts with plain node, as the server does', async () => {
    const input = join(folder, '..', 'rows.json');
    writeFileSync(input, JSON.stringify(rows));
    const { stdout } = await run(process.execPath, ['predict.mjs', input], { cwd: folder, env: { PATH: process.env.PATH ?? '' } });
    const actual = JSON.parse(stdout) as { model: string; version: number; predictions: { label: string; probabilities: Record<string, number> }[] };
    const { json } = await postJson(`${server.url}/api/models/loans/predict`, { records: rows });
    const expected = json.predictions as typeof actual.predictions;
    expect(actual.model).toBe('loans');
    expect(actual.predictions).toHaveLength(rows.length);
    actual.predictions.forEach((p, i) => {
      const labels = Object.keys(expected[i]!.probabilities);
      expect(firstMismatch(labels.map((l) => p.probabilities[l]), labels.map((l) => expected[i]!.probabilities[l]!)), `row ${i}`).toBeUndefined();
    });
  });

  it('reports a bad row with the catalogue code and exits 1', async () => {
    const input = join(folder, '..', 'bad.json');
    writeFileSync(input, JSON.stringify([{ ...rows[0], credit_score: 'high' }]));
    const failure = await run(process.execPath, ['predict.mjs', input], { cwd: folder }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toMatch(/feature 'credit_score'.*\[BERTH_SCHEMA_NUMBER_INVALID\]/);
  });

  it('refuses to replace a folder unless --overwrite, and names a build without its targets', async () => {
    const again = await runBerth(['export', 'loans', '--target', 'node', '-o', folder, '--home', home]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('BERTH_BUNDLE_OUTPUT_EXISTS');
    const replaced = await runBerth(['export', 'loans', '--target', 'node', '-o', folder, '--home', home, '--overwrite']);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout).toMatch(/Exported loans:1 \(sha256:[0-9a-f]+…?\) for node to .*loans-node\/ \(8 files, /);
    const bundle = await loadBundle(join(folder, 'bundle'));
    await expect(exportTargetFolder(bundle, { target: 'web', outDir: join(folder, '..', 'nowhere'), label: 'loans:1', targetsDir: tempDir() })).rejects.toMatchObject({
      code: 'BERTH_EXPORT_TARGET_MISSING',
    });
  });

  it('imports as a module: loadModel for the bundle, openModel for plain ONNX tensors', async () => {
    const c = fixtureCases().find((f) => f.name === 'test_operator_add_broadcast')!;
    const script = `
      import { loadModel, openModel } from ${JSON.stringify(join(folder, 'model.mjs'))};
      const model = await loadModel();
      const plain = await openModel(${JSON.stringify(c.model)}, { name: 'add' });
      const [out] = await plain.infer(${JSON.stringify(Object.entries(c.inputs).map(([name, t]) => ({ name, ...t })))});
      console.log(JSON.stringify({ features: model.schema.features.length, inputs: model.signature.inputs, out: { shape: out.shape, data: Array.from(out.data) } }));
      await model.close();
      await plain.close();`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: join(folder, '..') });
    const result = JSON.parse(stdout) as { features: number; inputs: { name: string }[]; out: { shape: number[]; data: number[] } };
    expect(result.features).toBe(9);
    expect(result.inputs[0]!.name).toBe('features');
    const expected = Object.values(c.outputs)[0]!;
    expect(result.out.shape).toEqual(expected.shape);
    expect(firstMismatch(result.out.data, expected.data)).toBeUndefined();
  });
});
