/**
 * train, predict and --reference as command functions (what the CLI calls), on real datasets,
 * real onnxruntime and a real SQLite registry in a temporary BERTH_HOME.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageCommand } from '../../src/cli/commands/package.js';
import { predictCommand } from '../../src/cli/commands/predict.js';
import { registerCommand } from '../../src/cli/commands/register.js';
import { type TrainCommandResult, trainCommand } from '../../src/cli/commands/train.js';
import { renderTrainResult } from '../../src/cli/train-output.js';
import { type Config, buildConfig } from '../../src/core/config.js';
import { loadBundle, openRegistry } from '../../src/registry/index.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';

const DATASETS = new URL('../fixtures/datasets/', import.meta.url).pathname;
const work = tempDir('berth-train-cmd-');
const config: Config = buildConfig({ store: { home: join(work, 'home') } });

describe('berth train (function)', () => {
  let diabetes: TrainCommandResult;
  beforeAll(async () => {
    diabetes = await trainCommand({ config, data: `${DATASETS}diabetes.csv`, target: 'progression', out: join(work, 'diabetes.bundle'), seed: 3 });
  });

  it('writes a bundle with schema, pipeline, metrics, evaluation, lineage and the reference profile', async () => {
    expect(diabetes).toMatchObject({ name: 'diabetes', task: 'regression', rows: 442, registered: null, bundle: { dir: join(work, 'diabetes.bundle') } });
    const bundle = await loadBundle(join(work, 'diabetes.bundle'));
    const m = bundle.manifest;
    expect(bundle.digest).toBe(diabetes.bundle.digest);
    expect(m.name).toBe('diabetes');
    expect(m.schema!.features).toHaveLength(10);
    expect(m.pipeline!.output).toEqual({ task: 'regression', target: 'progression', tensor: 'value' });
    expect(Object.keys(m.metrics!).sort()).toEqual(['mae', 'r2', 'rmse', 'validationRows']);
    expect(m.metrics!.r2).toBeGreaterThan(0.3);
    expect(m.evaluation).toMatchObject({ split: 'validation', task: 'regression', rows: m.metrics!.validationRows, metrics: { task: 'regression' } });
    expect((m.evaluation!.candidates as unknown[]).length).toBe(2);
    const sha256 = (await import('node:crypto')).createHash('sha256').update(readFileSync(`${DATASETS}diabetes.csv`)).digest('hex');
    expect(m.lineage).toMatchObject({ data: { sha256, rows: 442 }, target: 'progression', seed: 3, parameters: expect.any(Object) });
    const profile = m.profile as { rows: number; features: { name: string }[]; outputs: { name: string; kind: string }[] };
    expect(profile.rows).toBe(442);
    expect(profile.features.map((f) => f.name)).toEqual(m.schema!.features.map((f) => f.name));
    expect(profile.outputs.map((o) => [o.name, o.kind])).toEqual([['value', 'numeric']]);
  });

  it('reports the metrics as a readable table', () => {
    const text = renderTrainResult(diabetes);
    expect(text).toMatch(/^Trained diabetes: regression of 'progression' from 442 rows and 10 features/);
    expect(text).toMatch(/TRAINER\s+METHOD\s+RMSE\s+MAE\s+R²/);
    expect(text).toMatch(/linear\s+ridge-regression \(alpha=[\d.]+\)/);
    expect(text).toMatch(/\n {2}R² +0\.\d{4}\n/);
    expect(text).toContain(`Bundle: ${join(work, 'diabetes.bundle')} (sha256:`);
  });

  it('reports the rows trained on, and those left out because their target is missing', async () => {
    const lines = readFileSync(`${DATASETS}diabetes.csv`, 'utf8').trim().split(/\r?\n/);
    const header = lines[0]!.split(',');
    const target = header.indexOf('progression');
    // Every tenth row loses its target.
    const gappy = lines.map((line, i) => (i > 0 && i % 10 === 0 ? line.split(',').map((v, j) => (j === target ? '' : v)).join(',') : line));
    const data = join(work, 'gappy.csv');
    writeFileSync(data, `${gappy.join('\n')}\n`);
    const result = await trainCommand({ config, data, target: 'progression', algorithm: 'linear', out: join(work, 'gappy.bundle') });
    expect(result).toMatchObject({ rows: 442, droppedRows: 44 });
    expect(renderTrainResult(result)).toMatch(/^Trained gappy: regression of 'progression' from 398 of 442 rows \(44 left out: their 'progression' is missing\)/);
  });

  it('refuses an existing output folder and bad names before training', async () => {
    const started = Date.now();
    await expect(trainCommand({ config, data: `${DATASETS}diabetes.csv`, target: 'progression', out: join(work, 'diabetes.bundle') })).rejects.toMatchObject({
      code: 'BERTH_BUNDLE_OUTPUT_EXISTS',
    });
    await expect(trainCommand({ config, data: `${DATASETS}diabetes.csv`, target: 'progression', name: 'a b' })).rejects.toMatchObject({ code: 'BERTH_REGISTRY_NAME_INVALID' });
    await expect(trainCommand({ config, data: `${DATASETS}diabetes.csv`, target: 'progression', aliases: ['7'] })).rejects.toMatchObject({ code: 'BERTH_REGISTRY_NAME_INVALID' });
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(trainCommand({ config, data: join(work, 'missing.csv'), target: 'y', out: join(work, 'none') })).rejects.toMatchObject({ code: 'BERTH_TRAIN_CSV_INVALID' });
  });
});

describe('berth predict (function)', () => {
  let wine: TrainCommandResult;
  beforeAll(async () => {
    wine = await trainCommand({ config, data: `${DATASETS}wine.csv`, target: 'cultivar', algorithm: 'linear', aliases: ['production'] });
  });

  it('scores every row in order with prediction and probability_<label>, optionally keeping the input', async () => {
    expect(wine.registered).toMatchObject({ model: 'wine', version: 1, created: true, aliasesSet: ['production'] });
    const out = join(work, 'wine-scored.csv');
    const result = await predictCommand({ config, model: 'wine', data: `${DATASETS}wine.csv`, output: out });
    const output = wine.pipeline.output;
    const labels = output.task === 'classification' ? output.labels : [];
    expect(result).toMatchObject({ model: 'wine', version: 1, rows: 178, output: out, ignoredColumns: ['cultivar'] });
    const rows = parse(readFileSync(out)) as string[][];
    expect(rows[0]).toEqual(['prediction', ...labels.map((l) => `probability_${l}`)]);
    expect(rows).toHaveLength(179);
    const truth = (parse(readFileSync(`${DATASETS}wine.csv`), { columns: true }) as Record<string, string>[]).map((r) => r.cultivar);
    const correct = rows.slice(1).filter((r, i) => r[0] === truth[i]).length;
    expect(correct / 178).toBeGreaterThan(0.95);
    for (const row of rows.slice(1)) expect(row.slice(1).reduce((sum, p) => sum + Number(p), 0)).toBeCloseTo(1, 5);

    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c));
    const kept = await predictCommand({ config, model: 'wine@production', data: `${DATASETS}wine.csv`, keepInput: true, stdout });
    expect(kept.output).toBeNull();
    const keptRows = parse(Buffer.concat(chunks)) as string[][];
    const header = readFileSync(`${DATASETS}wine.csv`, 'utf8').split(/\r?\n/)[0]!.split(',');
    expect(keptRows[0]).toEqual([...header, 'prediction', ...labels.map((l) => `probability_${l}`)]);
    expect(keptRows.slice(1).map((r) => r.slice(header.length))).toEqual(rows.slice(1));
  });

  it('berth show gives rounded metrics, the class order and the schema a caller sends', async () => {
    const { showCommand } = await import('../../src/cli/commands/show.js');
    const { renderVersionDetail } = await import('../../src/cli/registry-output.js');
    const shown = await showCommand({ config, reference: 'wine@production' });
    if (shown.kind !== 'version') throw new Error('expected one version');
    const text = renderVersionDetail(shown.version);
    const metrics = /metrics {6}(.*)/.exec(text)![1]!;
    expect(metrics).toMatch(/logLoss=0\.\d+/);
    // Every metric at four significant digits at most, row counts whole.
    for (const [, value] of metrics.matchAll(/=([^,]+)/g)) expect(value!.replace(/^0\.0*/, '').replace('.', '').length).toBeLessThanOrEqual(4);
    expect(text).toContain('classes      class_0, class_1, class_2 (probability columns in this order)');
    expect(text).toMatch(/FEATURE\s+TYPE\s+REQUIRED\s+VALUES/);
    expect(text).toMatch(/alcohol\s+number\s+yes\s+\d/);
    // The hyperparameters the trainer chose, and the rows it used.
    expect(text).toMatch(/trained {6}logistic-regression \(C=[\d.]+\) on 142 rows, validated on 36, refitted on every row/);
  });

  it('cross-validates with --folds: the report and berth show say so', async () => {
    const iris = await trainCommand({ config, data: `${DATASETS}iris.csv`, target: 'species', name: 'irisfolds', folds: 5, register: true });
    expect(iris).toMatchObject({ folds: 5, metrics: { rows: 150 } });
    expect(renderTrainResult(iris)).toContain('Cross-validated metrics of');
    expect(renderTrainResult(iris)).toContain('(5 folds: each of 150 rows predicted by a model fitted without it)');
    const { showCommand } = await import('../../src/cli/commands/show.js');
    const { renderVersionDetail } = await import('../../src/cli/registry-output.js');
    const shown = await showCommand({ config, reference: 'irisfolds:1' });
    if (shown.kind !== 'version') throw new Error('expected one version');
    expect(renderVersionDetail(shown.version)).toMatch(/trained {6}\S+ \(.*\), 5-fold cross-validation on 150 rows/);
    expect(shown.version.manifest.evaluation).toMatchObject({ split: 'cross-validation', rows: 150 });
  });

  it('berth predict and berth show speak of values training never saw, and a strict schema', async () => {
    const lines = readFileSync(`${DATASETS}iris.csv`, 'utf8').trim().split(/\r?\n/);
    const file = join(work, 'iris-dated.csv');
    writeFileSync(file, [`${lines[0]},measured`, ...lines.slice(1).map((line, i) => `${line},2024-0${1 + (i % 9)}-1${i % 10}`)].join('\n'));
    await trainCommand({ config, data: file, target: 'species', algorithm: 'linear', name: 'irisdated', register: true, strict: true, classWeight: 'balanced' });
    const { showCommand } = await import('../../src/cli/commands/show.js');
    const { renderVersionDetail } = await import('../../src/cli/registry-output.js');
    const shown = await showCommand({ config, reference: 'irisdated:1' });
    if (shown.kind !== 'version') throw new Error('expected one version');
    const text = renderVersionDetail(shown.version);
    expect(text).toMatch(/measured\s+datetime\s+yes\s+2024-01-10 to 2024-09-19; the model uses year, month, day of week, days since 1970/);
    expect(text).toContain('strict: unseen categories and numbers outside the training range are refused');
    expect(text).toContain(', class weights balanced on ');

    const wide = join(work, 'iris-wide.csv');
    writeFileSync(wide, [lines[0], ...lines.slice(1, 4).map((line, i) => (i === 0 ? line.replace(/^[\d.]+/, '12.5') : line))].join('\n'));
    const result = await predictCommand({ config, model: 'wine', data: `${DATASETS}wine.csv`, output: join(work, 'w.csv') });
    expect(result.warnings).toEqual([]);
    const { renderPredictResult } = await import('../../src/cli/train-output.js');
    await trainCommand({ config, data: `${DATASETS}iris.csv`, target: 'species', algorithm: 'linear', name: 'irisloose', register: true });
    const loose = await predictCommand({ config, model: 'irisloose', data: wide, output: join(work, 'iw.csv') });
    expect(loose.warnings).toEqual([
      `feature '${lines[0]!.split(',')[0]}': 12.5 is outside the training range [4.3, 7.9] (1 row, first row 0); the answer is an extrapolation. A schema with "strict": true refuses such values`,
    ]);
    expect(renderPredictResult(loose)).toContain('\nwarning: feature ');
  });

  it('scores a semicolon-separated file as it scores the comma-separated one, detected or forced', async () => {
    const lines = readFileSync(`${DATASETS}wine.csv`, 'utf8').trim().split(/\r?\n/);
    const semicolons = join(work, 'wine-semicolons.csv');
    writeFileSync(semicolons, `${lines.map((l) => l.replaceAll(',', ';')).join('\n')}\n`);
    const read = (file: string) => parse(readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
    await predictCommand({ config, model: 'wine', data: `${DATASETS}wine.csv`, output: join(work, 'commas-out.csv') });
    await predictCommand({ config, model: 'wine', data: semicolons, output: join(work, 'detected-out.csv') });
    await predictCommand({ config, model: 'wine', data: semicolons, delimiter: ';', output: join(work, 'forced-out.csv') });
    const expected = read(join(work, 'commas-out.csv'));
    expect(expected).toHaveLength(lines.length - 1);
    expect(read(join(work, 'detected-out.csv'))).toEqual(expected);
    expect(read(join(work, 'forced-out.csv'))).toEqual(expected);
  });

  it('scores through a running server (--url) in batches, with the same output as scoring here', async () => {
    const { startRegistryServer } = await import('../helpers/server.js');
    const server = await startRegistryServer(join(work, 'home'));
    try {
      const local = join(work, 'local-out.csv');
      const remote = join(work, 'remote-out.csv');
      await predictCommand({ config, model: 'wine@production', data: `${DATASETS}wine.csv`, output: local, keepInput: true });
      const progress: number[] = [];
      const result = await predictCommand({
        config,
        model: 'wine@production',
        data: `${DATASETS}wine.csv`,
        output: remote,
        keepInput: true,
        url: server.url,
        batchSize: 50,
        onProgress: (scored) => progress.push(scored),
      });
      expect(readFileSync(remote, 'utf8')).toBe(readFileSync(local, 'utf8'));
      expect(result).toMatchObject({ model: 'wine', version: 1, rows: 178 });
      expect(progress).toEqual([50, 100, 150, 178]);
      // A server's refusal comes back with its message and code, and nothing is written.
      await expect(predictCommand({ config, model: 'nope', data: `${DATASETS}wine.csv`, output: join(work, 'nope-out.csv'), url: server.url })).rejects.toMatchObject({
        code: 'BERTH_REMOTE_FAILED',
        message: expect.stringContaining('BERTH_'),
      });
      expect(existsSync(join(work, 'nope-out.csv'))).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('names the line and field of a bad row, and writes nothing', async () => {
    const bad = join(work, 'wine-bad.csv');
    const lines = readFileSync(`${DATASETS}wine.csv`, 'utf8').split(/\r?\n/);
    const header = lines[0]!.split(',');
    const broken = lines[3]!.split(',');
    broken[header.indexOf('alcohol')] = 'lots';
    writeFileSync(bad, [lines[0], lines[1], '', lines[2], broken.join(','), ''].join('\n'));
    const out = join(work, 'never.csv');
    await expect(predictCommand({ config, model: 'wine:1', data: bad, output: out })).rejects.toMatchObject({
      code: 'BERTH_SCHEMA_NUMBER_INVALID',
      message: expect.stringContaining(`${bad} line 5: feature 'alcohol'`),
    });
    expect(existsSync(out)).toBe(false);
  });

  it('writes labels and input cells that a spreadsheet would run as formulas as text; numbers stay numbers', async () => {
    const lines = readFileSync(`${DATASETS}iris.csv`, 'utf8').trim().split(/\r?\n/);
    const rename: Record<string, string> = { setosa: '=HYPERLINK("http://evil.example","x")', versicolor: '@SUM(1)', virginica: '-cmd' };
    const relabelled = [lines[0], ...lines.slice(1).map((line) => line.replace(/,([a-z]+)$/, (_m, label: string) => `,"${rename[label]!.replace(/"/g, '""')}"`))];
    const data = join(work, 'iris-formulas.csv');
    writeFileSync(data, `${relabelled.join('\n')}\n`);
    const target = lines[0]!.split(',').at(-1)!;
    await trainCommand({ config, data, target, name: 'formulas', algorithm: 'linear', aliases: ['production'] });
    // An input cell that is a negative number must stay a number.
    const scoreData = join(work, 'iris-score.csv');
    const firstRow = relabelled[1]!.split(',');
    firstRow[0] = '-1.5';
    writeFileSync(scoreData, `${[relabelled[0], firstRow.join(','), ...relabelled.slice(2)].join('\n')}\n`);
    const out = join(work, 'formulas-out.csv');
    await predictCommand({ config, model: 'formulas', data: scoreData, output: out, keepInput: true });
    const rows = parse(readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    const predicted = new Set(rows.map((r) => r.prediction!));
    expect(predicted.size).toBeGreaterThan(1);
    for (const label of predicted) expect(Object.values(rename).map((l) => `'${l}`)).toContain(label);
    expect(rows.every((r) => r[`input_${target}`] === undefined ? r[target]!.startsWith("'") : r[`input_${target}`]!.startsWith("'"))).toBe(true);
    expect(rows[0]![lines[0]!.split(',')[0]!]).toBe('-1.5');
  });

  it('refuses a model without a schema, and unknown models', async () => {
    const dir = join(work, 'identity');
    mkdirSync(dir);
    await registerCommand({ config, path: writeIdentityModel(dir, 'FP32'), name: 'tensors' });
    await expect(predictCommand({ config, model: 'tensors', data: `${DATASETS}wine.csv`, output: join(work, 'x.csv') })).rejects.toMatchObject({
      code: 'BERTH_MODEL_NO_SCHEMA',
    });
    await expect(predictCommand({ config, model: 'nope', data: `${DATASETS}wine.csv` })).rejects.toMatchObject({ code: 'BERTH_REGISTRY_MODEL_NOT_FOUND' });
  });
});

describe('--reference for package and register', () => {
  it('package profiles the tensor inputs of a model without a schema', async () => {
    const dir = join(work, 'ref-package');
    mkdirSync(dir);
    const model = writeIdentityModel(dir, 'FP32');
    const csv = join(dir, 'reference.csv');
    writeFileSync(csv, 'x[0],x[1],x[2]\n1,2,3\n4,5,6\n');
    const result = await packageCommand({ model, out: join(dir, 'bundle'), referenceFile: csv });
    const profile = (await loadBundle(result.dir)).manifest.profile as { rows: number; features: { name: string; mean: number }[] };
    expect(profile.rows).toBe(2);
    expect(profile.features.map((f) => [f.name, f.mean])).toEqual([
      ['x[0]', 2.5],
      ['x[1]', 3.5],
      ['x[2]', 4.5],
    ]);
    await expect(packageCommand({ model, out: join(dir, 'other'), referenceFile: csv, profileFile: csv })).rejects.toMatchObject({ code: 'BERTH_MONITOR_REFERENCE_INVALID' });
  });

  it('register re-packages a bundle with the new profile, keeping everything else', async () => {
    const dir = join(work, 'ref-register');
    mkdirSync(dir);
    const trained = await trainCommand({ config, data: `${DATASETS}iris.csv`, target: 'species', algorithm: 'linear', out: join(dir, 'iris.bundle') });
    const original = await loadBundle(join(dir, 'iris.bundle'));
    const reference = join(dir, 'setosa.csv');
    const lines = readFileSync(`${DATASETS}iris.csv`, 'utf8').split(/\r?\n/);
    writeFileSync(reference, [lines[0], ...lines.filter((l) => l.endsWith(',setosa'))].join('\n'));
    const result = await registerCommand({ config, path: join(dir, 'iris.bundle'), name: 'iris-ref', aliases: ['staging'], referenceFile: reference });
    expect(result.version.digest).not.toBe(trained.bundle.digest);
    expect(result.version.source).toBe(`bundle:${join(dir, 'iris.bundle')}`);
    const m = result.version.manifest;
    const profile = m.profile as { rows: number; outputs: { name: string; frequencies?: [string, number][] }[] };
    expect(profile.rows).toBe(50);
    expect(profile.outputs[0]).toMatchObject({ name: 'label', frequencies: [['setosa', 50]] });
    for (const field of ['name', 'description', 'schema', 'pipeline', 'metrics', 'evaluation', 'lineage', 'tags', 'created'] as const) {
      expect(m[field], field).toEqual(original.manifest[field]);
    }
    const registry = await openRegistry({ home: config.store.home });
    try {
      expect((await registry.resolve('iris-ref@staging')).version).toBe(result.version.version);
    } finally {
      await registry.close();
    }
  });
});
