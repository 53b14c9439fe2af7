/**
 * Quality against scikit-learn (issue 4): on every dataset, on a held-out split, Berth's trained
 * model, run as ONNX in onnxruntime, scores within 0.02 of the best of scikit-learn's
 * logistic/ridge regression and HistGradientBoosting on the same split (accuracy and ROC AUC for
 * classification, R² for regression). The reference figures and held-out rows come from
 * scripts/sklearn-reference.py (see the method in fixtures/sklearn-reference.json).
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Pipeline } from '../../src/runtime/pipeline.js';
import { parseCsv, selectRows, tableRecords } from '../../src/train/csv-table.js';
import { predictOutputs } from '../../src/train/fitted-model.js';
import { inferSchema } from '../../src/train/infer-schema.js';
import { classificationMetrics, regressionMetrics } from '../../src/train/metrics.js';
import { scoreRows } from '../../src/train/score-rows.js';
import { splitRows } from '../../src/train/split-rows.js';
import { trainFromTable } from '../../src/train/train-model.js';

interface Reference {
  readonly holdoutFraction: number;
  readonly seed: number;
  readonly datasets: Record<
    string,
    { file: string; target: string; task: 'classification' | 'regression'; testIndices: number[]; best: Record<string, number> }
  >;
}

const reference = JSON.parse(readFileSync(new URL('fixtures/sklearn-reference.json', import.meta.url), 'utf8')) as Reference;
const DATASETS = new URL('../fixtures/datasets/', import.meta.url).pathname;
const TOLERANCE = 0.02;
const report: string[] = [];

describe('quality against scikit-learn on held-out rows', () => {
  afterAll(() => console.log(`Berth vs scikit-learn's best (held-out rows):\n  ${report.join('\n  ')}`));

  it.each(Object.entries(reference.datasets))('%s', async (name, dataset) => {
    const table = parseCsv(readFileSync(`${DATASETS}${dataset.file}`), dataset.file);
    const { target } = inferSchema(table, { target: dataset.target });
    expect(target.task).toBe(dataset.task);
    const split = splitRows(table.rows.length, {
      fraction: reference.holdoutFraction,
      seed: reference.seed,
      ...(target.task === 'classification' ? { strata: target.classes } : {}),
    });
    // The same held-out rows as scikit-learn's.
    expect(Array.from(split.validation)).toEqual(dataset.testIndices);

    const started = performance.now();
    const result = await trainFromTable(selectRows(table, split.train), { target: dataset.target });
    const seconds = (performance.now() - started) / 1000;
    const rows = tableRecords(table, split.validation);
    const { predictions } = await scoreRows({ onnx: result.onnx, schema: result.schema, pipeline: result.pipeline, rows });

    // ONNX predictions against the in-memory model on the same held-out rows.
    const x = new Pipeline(result.schema, result.pipeline).encode(rows).tensor.data as Float32Array;
    const memory = predictOutputs(result.model, x, rows.length);
    const onnx = predictions.flatMap((p) => ('value' in p ? [p.value] : result.pipeline.output.task === 'classification' ? result.pipeline.output.labels.map((l) => p.probabilities[l]!) : []));
    let difference = 0;
    let scale = 1;
    onnx.forEach((v, i) => {
      difference = Math.max(difference, Math.abs(v - memory[i]!));
      scale = Math.max(scale, Math.abs(memory[i]!));
    });
    expect(difference).toBeLessThan(1e-6 * scale);

    const best = dataset.best;
    const chosen = `${result.lineage.method} ${JSON.stringify(result.lineage.parameters.C ?? result.lineage.parameters.alpha ?? result.lineage.parameters.iterations)}`;
    if (target.task === 'classification') {
      const m = classificationMetrics(Array.from(split.validation, (r) => target.classes[r]!), onnx, target.labels);
      report.push(
        `${name.padEnd(22)} accuracy ${m.accuracy.toFixed(4)} (sklearn ${best.accuracy!.toFixed(4)}, ${signed(m.accuracy - best.accuracy!)})  ` +
          `ROC AUC ${m.rocAuc.toFixed(4)} (sklearn ${best.rocAuc!.toFixed(4)}, ${signed(m.rocAuc - best.rocAuc!)})  ` +
          `${chosen}, ${seconds.toFixed(1)} s, onnx-vs-memory ${difference.toExponential(1)}`,
      );
      expect(m.rocAuc).toBeGreaterThanOrEqual(best.rocAuc! - TOLERANCE);
      // On the smallest test sets one row is worth more than 0.02; allow that one row.
      expect(m.accuracy).toBeGreaterThanOrEqual(best.accuracy! - Math.max(TOLERANCE, 1 / split.validation.length) - 1e-12);
    } else {
      const m = regressionMetrics(Array.from(split.validation, (r) => target.values[r]!), onnx);
      report.push(`${name.padEnd(22)} R² ${m.r2.toFixed(4)} (sklearn ${best.r2!.toFixed(4)}, ${signed(m.r2 - best.r2!)})  ${chosen}, ${seconds.toFixed(1)} s, onnx-vs-memory ${difference.toExponential(1)}`);
      expect(m.r2).toBeGreaterThanOrEqual(best.r2! - TOLERANCE);
    }
  });
});

function signed(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;
}
