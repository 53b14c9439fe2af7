/**
 * Retraining a champion that is itself a retrained challenger: its own validation split was over
 * its own training rows, not over its kept data, so the forgetting check follows the lineage back
 * to the first champion's original validation rows (its seeded split, its last fold, or its kept
 * validation file), which every challenger since held out of its training. The retrained
 * champion is scored on exactly the rows it was checked on as a challenger. Real training,
 * onnxruntime and SQLite; imported from dist/ because jobs train in worker threads (run
 * `npm run build:server`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetrainOutcome } from '../../dist/app/retraining/retrain-job.js';
import type { Retraining } from '../../dist/app/retraining/retraining.js';
import type { TrainingJob, TrainingJobs as TrainingJobsType } from '../../dist/app/training-jobs.js';
import { trainCommand } from '../../dist/cli/commands/train.js';
import { renderFinished } from '../../dist/cli/retrain-program.js';
import { buildConfig } from '../../dist/core/config.js';
import { type Registry, openRegistry } from '../../dist/registry/index.js';
import { MemoryLabelledRows, labelledRowsOf } from '../helpers/labelled-rows.js';
import { tempDir } from '../helpers/models.js';
import { finished, retrainingJobs } from '../helpers/retraining-jobs.js';
import { DATASETS } from '../helpers/trained.js';

/** The first retraining runs at NOW, the second a week and a day later, so their 7-day windows do not overlap. */
const NOW = Date.parse('2026-06-01T12:00:00Z');
const LATER = NOW + 8 * 86_400_000;
const HOUR = 3_600_000;

/** Lineage is free-form JSON, read field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** Half `part` (0 or 1) of the drifted rows, labelled an hour before `at`: each retraining sees its own rows. */
const batch = (part: 0 | 1, at: number) =>
  labelledRowsOf('loans_current_drifted.csv', { target: 'defaulted', at: 0 })
    .slice(part * 2500, part * 2500 + 2500)
    .map((row, i) => ({ ...row, at: at - HOUR + i }));

describe('retraining a champion that was itself retrained', () => {
  const work = tempDir('berth-retraining-chain-');
  const home = join(work, 'home');
  let registry: Registry;
  let jobs: TrainingJobsType;
  let retraining: Retraining;
  let clock = NOW;
  let lastJob: TrainingJob | undefined;
  const labelled = new MemoryLabelledRows();

  beforeAll(async () => {
    const config = buildConfig({ store: { home } });
    // 5,000 rows, a seeded 20% split, refitted on every row (under 20,000 rows).
    await trainCommand({ config, data: join(DATASETS, 'loans_current_stable.csv'), target: 'defaulted', name: 'split', algorithm: 'linear', seed: 3, aliases: ['production'], keepData: true });
    // The same rows in 5 folds of 1,000.
    await trainCommand({ config, data: join(DATASETS, 'loans_current_stable.csv'), target: 'defaulted', name: 'folds', algorithm: 'linear', folds: 5, seed: 3, aliases: ['production'], keepData: true });
    // The same for the test of overlapping windows.
    await trainCommand({ config, data: join(DATASETS, 'loans_current_stable.csv'), target: 'defaulted', name: 'overlap', algorithm: 'linear', seed: 3, aliases: ['production'], keepData: true });
    // 4,000 training rows and a 1,000-row validation file of the reference population.
    const lines = readFileSync(join(DATASETS, 'loans_reference.csv'), 'utf8').trimEnd().split('\n');
    writeFileSync(join(work, 'train.csv'), [lines[0], ...lines.slice(1, 4001)].join('\n') + '\n');
    writeFileSync(join(work, 'validation.csv'), [lines[0], ...lines.slice(4001, 5001)].join('\n') + '\n');
    await trainCommand({ config, data: join(work, 'train.csv'), validation: join(work, 'validation.csv'), target: 'defaulted', name: 'file', algorithm: 'linear', aliases: ['production'], keepData: true });
    registry = await openRegistry({ home });
    ({ retraining, jobs } = retrainingJobs({ registry, labelled, now: () => clock, workDir: join(work, 'jobs') }));
  });
  afterAll(async () => {
    await jobs?.close();
    await registry?.close();
  });

  async function retrainAt(model: string, at: number, part: 0 | 1): Promise<RetrainOutcome> {
    clock = at;
    labelled.add(model, batch(part, at));
    const job = await finished(jobs, (await retraining.retrain(model, { promote: 'auto' })).id);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    lastJob = job;
    return job.result!.retrain!;
  }
  const lineageOf = async (model: string, version: number): Promise<Json> => (await registry.getVersion(model, version)).manifest.lineage as Json;
  const keptDigest = async (model: string, version: number): Promise<string> => (await registry.keptTrainingData(model, version))!.digest;

  /** v1 → v2 (promoted), then v2 → v3: v2 is scored on the rows it was checked on as a challenger. */
  async function chain(model: string): Promise<{ first: RetrainOutcome; second: RetrainOutcome }> {
    const first = await retrainAt(model, NOW, 0);
    expect(first).toMatchObject({ challenger: 2, parent: 1, decision: 'promoted' });
    const second = await retrainAt(model, LATER, 1);
    expect(second).toMatchObject({ challenger: 3, parent: 2 });
    const [, asChallenger] = first.evaluation.table;
    const [, asChampion] = second.evaluation.table;
    expect(asChampion).toMatchObject({ rows: 'original', count: asChallenger!.count });
    // The same model on the same rows: the same figures, to the last digit.
    expect(asChampion!.champion).toEqual(asChallenger!.challenger);
    // v2 never trained on these rows, so it is scored as it is, with no recorded baseline.
    expect(asChampion!.championRecorded).toBeUndefined();
    expect(second.evaluation.forgettingSkipped).toBeUndefined();
    // Each challenger keeps its champion's kept rows and then its window's: v1's rows lead.
    expect(await registry.keptTrainingData(model, 2)).toMatchObject({ rows: (await registry.keptTrainingData(model, 1))!.rows + 2500 });
    expect(await registry.keptTrainingData(model, 3)).toMatchObject({ rows: (await registry.keptTrainingData(model, 1))!.rows + 5000 });
    return { first, second };
  }

  it('after a seeded split, checks v3 and v2 on v1\'s validation rows and holds them out of v3\'s training', async () => {
    const { first, second } = await chain('split');
    expect(first.evaluation.table[1]).toMatchObject({ count: 1000, championRecordedHow: 'as training recorded it on these rows, before refitting the champion on every row' });
    const origin = { version: 1, rows: 5000, digest: await keptDigest('split', 1) };
    expect((await lineageOf('split', 2)).retraining.original).toEqual({ digest: origin.digest, rows: 5000, trainRows: 4000, validationRows: 1000, seed: 3, validationFraction: 0.2, origin });
    const v3 = await lineageOf('split', 3);
    expect(v3.retraining.original).toEqual({ digest: await keptDigest('split', 2), rows: 7500, trainRows: 6500, validationRows: 1000, seed: 3, validationFraction: 0.2, origin });
    // v3 trained on 6,500 kept rows and its window's rows not held out; its own split is the trainer's.
    const recent = second.evaluation.table[0]!;
    expect(v3.trainRows + v3.validationRows).toBe(6500 + 2500 - recent.count);
    expect(second.evaluation.table[1]!.rowsHow).toBe(
      'v1\'s original validation rows: its seeded split (seed 3, fraction 0.2) of its training data, the first 5000 rows of v2\'s kept data; every version retrained from v1 was trained without them, v2 as the challenger is, so neither model has seen them',
    );
    // `berth retrain --now --wait` prints which rows they are.
    expect(renderFinished(lastJob!)).toContain(`  The original rows: ${second.evaluation.table[1]!.rowsHow}`);
    expect(first.evaluation.table[1]!.rowsHow).toBe('v1\'s original validation rows: its seeded split (seed 3, fraction 0.2) of its training data, held out of the challenger\'s training');
  });

  it('after k-fold cross-validation, checks v3 and v2 on v1\'s last fold', async () => {
    const { second } = await chain('folds');
    const origin = { version: 1, rows: 5000, digest: await keptDigest('folds', 1) };
    expect((await lineageOf('folds', 3)).retraining.original).toEqual({ digest: await keptDigest('folds', 2), rows: 7500, trainRows: 6500, validationRows: 1000, seed: 3, folds: 5, fold: 5, origin });
    expect(second.evaluation.table[1]!.rowsHow).toBe(
      'v1\'s original validation rows: fold 5 of its 5-fold cross-validation (seed 3) of its training data, the first 5000 rows of v2\'s kept data; every version retrained from v1 was trained without them, v2 as the challenger is, so neither model has seen them',
    );
  });

  it('after a validation file, keeps the file with each challenger and checks v3 and v2 on it', async () => {
    const { second } = await chain('file');
    const file = await registry.keptValidationData('file', 1);
    expect(file).toMatchObject({ rows: 1000 });
    // Each challenger keeps the file it was checked on, by the same digest.
    expect(await registry.keptValidationData('file', 2)).toMatchObject({ role: 'validation', digest: file!.digest, rows: 1000 });
    expect(await registry.keptValidationData('file', 3)).toMatchObject({ role: 'validation', digest: file!.digest, rows: 1000 });
    const validationFile = { source: join(work, 'validation.csv'), digest: file!.digest, rows: 1000 };
    const origin = { version: 1, rows: 4000, digest: await keptDigest('file', 1) };
    expect((await lineageOf('file', 3)).retraining.original).toEqual({ digest: await keptDigest('file', 2), rows: 6500, trainRows: 6500, validationRows: 1000, validationFile, origin });
    expect(second.evaluation.table[1]!.rowsHow).toBe(
      `v1's original validation rows: its kept validation file (${join(work, 'validation.csv')}), not in its training data; every version retrained from v1 was trained without them, v2 as the challenger is, so neither model has seen them`,
    );
  });

  it('judges and keeps only the labelled rows the champion\'s kept data does not already hold', async () => {
    expect(await retrainAt('overlap', NOW, 0)).toMatchObject({ challenger: 2, decision: 'promoted' });
    // A day later the 7-day window still holds the first 2,500 rows, which v2 kept (and trained
    // on, but for its holdout), beside 2,500 new ones: only the new ones are judged on and kept.
    const second = await retrainAt('overlap', NOW + 86_400_000, 1);
    const recent = second.evaluation.table[0]!;
    expect(Math.abs(recent.count - 750)).toBeLessThanOrEqual(2);
    const v3 = await lineageOf('overlap', 3);
    expect(v3.retraining.labelled).toMatchObject({ rows: 5000, alreadyKept: 2500, trainRows: 2500 - recent.count, holdoutRows: recent.count });
    expect(await registry.keptTrainingData('overlap', 3)).toMatchObject({ rows: 10000 });
    // Two days later, with v3 the champion, nothing in the window is new: nothing to judge on, so the job fails and says why.
    await registry.setAlias('overlap', 'production', 3);
    clock = NOW + 2 * 86_400_000;
    const job = await finished(jobs, (await retraining.retrain('overlap', { promote: 'auto' })).id);
    expect(job.state).toBe('failed');
    expect(job.error).toMatchObject({ code: 'BERTH_RETRAIN_TOO_FEW_ROWS' });
    expect(job.error!.error).toContain("has 0 labelled rows in the last 7d that v3's kept data does not already hold");
  });
});
