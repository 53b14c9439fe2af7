/**
 * Retraining a champion judged by k-fold cross-validation (`berth train --folds`): refitted on
 * every row, it has seen every original row, so the forgetting check redoes training's folds,
 * holds the last one out of the challenger's training, scores the challenger on it, and compares
 * with the figures training recorded on that fold for the model fitted without it; the table
 * names that baseline, as it does a split champion's. Real training, onnxruntime and SQLite;
 * imported from dist/ because jobs train in worker threads (run `npm run build:server`).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Retraining } from '../../dist/app/retraining/retraining.js';
import type { TrainingJobs as TrainingJobsType } from '../../dist/app/training-jobs.js';
import { trainCommand } from '../../dist/cli/commands/train.js';
import { renderFinished } from '../../dist/cli/retrain-program.js';
import { buildConfig } from '../../dist/core/config.js';
import { type Registry, openRegistry } from '../../dist/registry/index.js';
import { MemoryLabelledRows, labelledRowsOf } from '../helpers/labelled-rows.js';
import { tempDir } from '../helpers/models.js';
import { finished, retrainingJobs } from '../helpers/retraining-jobs.js';
import { DATASETS } from '../helpers/trained.js';

/** The clock of retraining: labelled rows are an hour old, well inside the default 7-day window. */
const NOW = Date.parse('2026-06-01T12:00:00Z');
const AN_HOUR_AGO = NOW - 3_600_000;

/** Lineage and evaluation are free-form JSON, read field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

describe('retraining a champion judged by k-fold cross-validation', () => {
  const work = tempDir('berth-retraining-folds-');
  const home = join(work, 'home');
  let registry: Registry;
  let jobs: TrainingJobsType;
  let retraining: Retraining;
  const labelled = new MemoryLabelledRows();

  beforeAll(async () => {
    // 5,000 rows in 5 folds of 1,000; both trainers tried, so the baseline must be the chosen one's.
    const config = buildConfig({ store: { home } });
    await trainCommand({ config, data: join(DATASETS, 'loans_current_stable.csv'), target: 'defaulted', name: 'loans', algorithm: 'auto', folds: 5, seed: 3, aliases: ['production'], keepData: true });
    // The same data judged on a random split, then refitted on every row (as under 20,000 rows).
    await trainCommand({ config, data: join(DATASETS, 'loans_current_stable.csv'), target: 'defaulted', name: 'split', algorithm: 'linear', seed: 3, aliases: ['production'], keepData: true });
    registry = await openRegistry({ home });
    ({ retraining, jobs } = retrainingJobs({ registry, labelled, now: () => NOW, workDir: join(work, 'jobs') }));
  });
  afterAll(async () => {
    await jobs?.close();
    await registry?.close();
  });

  it('holds the last fold out of the challenger and judges forgetting against the figures training recorded on it', async () => {
    const champion = await registry.getVersion('loans', 1);
    const championLineage = champion.manifest.lineage as Json;
    expect(championLineage).toMatchObject({ folds: 5, seed: 3, refit: true, validationFraction: null });

    labelled.add('loans', labelledRowsOf('loans_current_drifted.csv', { target: 'defaulted', at: AN_HOUR_AGO }));
    const job = await finished(jobs, (await retraining.retrain('loans')).id);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    const { evaluation } = job.result!.retrain!;
    const [recent, original] = evaluation.table;
    expect(original).toMatchObject({ rows: 'original', count: 1000 });

    // The baseline is the chosen trainer's model of fold 5, fitted without these rows.
    const recorded = champion.manifest.evaluation as Json;
    const chosen = (recorded.candidates as Json[]).find((c) => c.algorithm === recorded.algorithm)!;
    const fold5 = chosen.foldMetrics[4];
    expect(fold5.rows).toBe(1000);
    expect(original!.championRecorded!.logLoss!).toBeCloseTo(fold5.logLoss, 10);
    expect(original!.championRecorded!.rocAuc!).toBeCloseTo(fold5.rocAuc, 10);
    expect(original!.championRecorded!.accuracy!).toBeCloseTo(fold5.accuracy, 10);
    expect(original!.championRecordedHow).toBe('as training recorded it on fold 5 of 5, for the model fitted without these rows, before refitting the champion on every row');
    // Scored now, the refitted champion has trained on these rows and looks better than it is.
    expect(original!.champion.logLoss!).toBeLessThan(fold5.logLoss);

    // The challenger never trained on the held-out fold: 4,000 original rows and the labelled rows not held out.
    const lineage = (await registry.getVersion('loans', job.result!.retrain!.challenger)).manifest.lineage as Json;
    const digest = (await registry.keptTrainingData('loans', 1))!.digest;
    expect(lineage.retraining.original).toEqual({ digest, rows: 5000, trainRows: 4000, validationRows: 1000, seed: 3, folds: 5, fold: 5, origin: { version: 1, rows: 5000, digest } });
    expect(original!.rowsHow).toBe("v1's original validation rows: fold 5 of its 5-fold cross-validation (seed 3) of its training data, held out of the challenger's training");
    expect(lineage.retraining.labelled).toMatchObject({ rows: 5000, trainRows: 5000 - recent!.count, holdoutRows: recent!.count });
    expect(lineage.trainRows + lineage.validationRows).toBe(4000 + 5000 - recent!.count);
    expect(lineage.evaluation.table[1]).toEqual(original);
    // It still keeps every row for the next retraining.
    expect(await registry.keptTrainingData('loans', job.result!.retrain!.challenger)).toMatchObject({ rows: 10000 });

    // `berth retrain --now --wait` prints the baseline the verdict used.
    expect(renderFinished(job)).toContain(`  Champion on the original rows as training recorded it on fold 5 of 5, for the model fitted without these rows, before refitting the champion on every row: rocAuc ${fold5.rocAuc.toFixed(4)}, logLoss ${fold5.logLoss.toFixed(4)}, accuracy ${fold5.accuracy.toFixed(4)} (the verdict's baseline)`);
  });

  it('names the baseline of a champion refitted after a random split the same way', async () => {
    const champion = await registry.getVersion('split', 1);
    expect(champion.manifest.lineage).toMatchObject({ refit: true, validationFraction: 0.2 });
    labelled.add('split', labelledRowsOf('loans_current_drifted.csv', { target: 'defaulted', at: AN_HOUR_AGO }));
    const job = await finished(jobs, (await retraining.retrain('split')).id);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    const original = job.result!.retrain!.evaluation.table[1]!;
    const recorded = (champion.manifest.evaluation as Json).metrics;
    expect(original).toMatchObject({ rows: 'original', count: recorded.rows, championRecordedHow: 'as training recorded it on these rows, before refitting the champion on every row' });
    expect(original.championRecorded!.logLoss!).toBeCloseTo(recorded.logLoss, 10);
    expect(original.champion.logLoss!).toBeLessThan(recorded.logLoss);
    expect(renderFinished(job)).toContain(`  Champion on the original rows as training recorded it on these rows, before refitting the champion on every row: rocAuc ${recorded.rocAuc.toFixed(4)}`);
  });
});
