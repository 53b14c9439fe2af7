/**
 * train, predict and demo as a user runs them: the built `berth` binary (dist/, made by
 * `npm run build`, which `npm test` runs first), on real datasets, with BERTH_HOME in a
 * temporary folder.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { BERTH_BIN, runBerth } from '../helpers/cli.js';
import { postJson } from '../helpers/server.js';
import { tempDir } from '../helpers/models.js';

const DATASETS = new URL('../fixtures/datasets/', import.meta.url).pathname;
const work = tempDir('berth-train-bin-');
const home = join(work, 'home');
const berth = (args: readonly string[]) => runBerth(args, { BERTH_HOME: home });

describe('berth train and predict (built binary)', () => {
  it('trains, reports, registers; then predicts one row per input row', async () => {
    const trained = await berth(['train', `${DATASETS}iris.csv`, '--target', 'species', '--register', '--alias', 'production']);
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toMatch(/^Trained iris: classification of 'species' from 150 rows and 4 features\n/);
    expect(trained.stdout).toMatch(/TRAINER\s+METHOD\s+ACCURACY\s+MACRO F1\s+ROC AUC\s+LOG LOSS/);
    expect(trained.stdout).toMatch(/Confusion matrix \(rows: true label, columns: predicted\):\n\s+setosa\s+versicolor\s+virginica\n\s+setosa\s+10\s+0\s+0/);
    expect(trained.stdout).toMatch(/Registered iris version 1 \(sha256:[0-9a-f]{12}, [\d.]+ KiB\); @production → 1\n$/);
    // Not a terminal: plain progress lines on stderr, ending with the choice made.
    expect(trained.stderr).toMatch(/^\[ {2}0%\] read: reading /);
    expect(trained.stderr).toMatch(/\[100%\] done: chose \S+\n$/);

    const out = join(work, 'scored.csv');
    const scored = await berth(['predict', 'iris', `${DATASETS}iris.csv`, '-o', out, '--keep-input']);
    expect(scored.code, scored.stderr).toBe(0);
    expect(scored.stdout).toContain(`Scored 150 rows with iris:1 into ${out}`);
    const rows = parse(readFileSync(out)) as string[][];
    expect(rows[0]).toEqual([
      'sepal_length_cm', 'sepal_width_cm', 'petal_length_cm', 'petal_width_cm', 'species',
      'prediction', 'probability_setosa', 'probability_versicolor', 'probability_virginica',
    ]);
    expect(rows).toHaveLength(151);
    const input = parse(readFileSync(`${DATASETS}iris.csv`)) as string[][];
    expect(rows.map((r) => r.slice(0, 5))).toEqual(input);
    expect(rows.slice(1).filter((r) => r[4] === r[5]).length).toBeGreaterThan(140);

    const bad = join(work, 'bad.csv');
    writeFileSync(bad, 'sepal_length_cm,sepal_width_cm,petal_length_cm\n5.1,3.5,1.4\n');
    const refused = await berth(['predict', 'iris@production', bad, '-o', join(work, 'bad-out.csv')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${bad} line 2: required feature 'petal_width_cm' is missing`);
    expect(refused.stderr).toContain('[BERTH_SCHEMA_FEATURE_MISSING]');
  });

  it('prints JSON with --json and writes the bundle where -o says', async () => {
    const out = join(work, 'diabetes-bundle');
    const { code, stdout, stderr } = await berth(['train', `${DATASETS}diabetes.csv`, '--target', 'progression', '--algorithm', 'linear', '-o', out, '--json']);
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout) as { task: string; algorithm: string; metrics: { r2: number }; bundle: { dir: string }; registered: null };
    expect(result).toMatchObject({ task: 'regression', algorithm: 'linear', bundle: { dir: out }, registered: null });
    expect(JSON.parse(readFileSync(join(out, 'berth.json'), 'utf8')).metrics.r2).toBeCloseTo(result.metrics.r2, 10);
  });
});

describe('berth demo (built binary)', () => {
  it('trains on the bundled data, registers loans@production, serves it and prints requests that work', async () => {
    const demoHome = join(work, 'demo-home');
    const child = spawn(process.execPath, [BERTH_BIN, 'demo', '--port', '0', '--log-level', 'warn'], { env: { ...process.env, BERTH_HOME: demoHome } });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          stdout += c.toString();
          if (stdout.includes('Stop with Ctrl+C.')) resolve();
        });
        void exited.then((code) => reject(new Error(`berth demo exited (${code})\n${stdout}\n${stderr}`)));
      });
      expect(stdout).toContain(`Registered loans version 1 in ${demoHome}; @production → 1.`);
      // Each suggested curl: its URL and its JSON body, sent as printed.
      const requests = [...stdout.matchAll(/curl -s (\S+) -H 'content-type: application\/json' \\\n\s+-d '(.*)'/g)].map((m) => ({ url: m[1]!, body: m[2]! }));
      expect(requests.map((r) => new URL(r.url).pathname)).toEqual(['/api/models/loans/predict', '/v2/models/loans/infer']);
      const predicted = await postJson(requests[0]!.url, requests[0]!.body);
      expect(predicted.status, predicted.text).toBe(200);
      expect(predicted.json).toMatchObject({ model: 'loans', version: 1, predictions: [{ label: expect.stringMatching(/^[01]$/) }] });
      const inferred = await postJson(requests[1]!.url, requests[1]!.body);
      expect(inferred.status, inferred.text).toBe(200);
      const probabilities = (predicted.json.predictions as { probabilities: Record<string, number> }[])[0]!.probabilities;
      const outputs = inferred.json.outputs as { data: number[] }[];
      expect(outputs[0]!.data[1]).toBeCloseTo(probabilities['1']!, 6);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
