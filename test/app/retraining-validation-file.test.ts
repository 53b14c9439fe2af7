/**
 * Retraining a champion that was judged on a fixed validation file (`berth train --validation`):
 * the file is kept with the version's data, the forgetting check scores both models on its rows,
 * the challenger trains on the whole training CSV plus labelled rows, and a champion whose file
 * was not kept is retrained without the check, saying so. Real training, onnxruntime and SQLite;
 * imported from dist/ because jobs train in worker threads (run `npm run build:server`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Retraining } from '../../dist/app/retraining/retraining.js';
import type { TrainingJobs as TrainingJobsType } from '../../dist/app/training-jobs.js';
import { trainBundle } from '../../dist/app/train-bundle.js';
import { trainCommand } from '../../dist/cli/commands/train.js';
import { buildConfig } from '../../dist/core/config.js';
import { type Registry, openRegistry } from '../../dist/registry/index.js';
import { referencedDigests } from '../../dist/store/index.js';
import { MemoryLabelledRows, labelledRowsOf } from '../helpers/labelled-rows.js';
import { tempDir } from '../helpers/models.js';
import { finished, retrainingJobs } from '../helpers/retraining-jobs.js';
import { DATASETS } from '../helpers/trained.js';

/** The clock of retraining: labelled rows are an hour old, well inside the default 7-day window. */
const NOW = Date.parse('2026-06-01T12:00:00Z');
const AN_HOUR_AGO = NOW - 3_600_000;
const TRAINING = join(DATASETS, 'loans_reference.csv');
/** The champion's validation file: a later sample of the same population, none of its rows in the training file. */
const VALIDATION = join(DATASETS, 'loans_current_stable.csv');
const digestOf = (file: string): string => `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;

/** Lineage is free-form JSON, read field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

describe('retraining a champion validated on a file', () => {
  const work = tempDir('berth-retraining-validation-');
  const home = join(work, 'home');
  let registry: Registry;
  let jobs: TrainingJobsType;
  let retraining: Retraining;
  const labelled = new MemoryLabelledRows();

  beforeAll(async () => {
    // 20,000 training rows and 5,000 validation rows: more than refit's limit, so the champion
    // is the model fitted without the validation rows and its figures on them are training's.
    const config = buildConfig({ store: { home } });
    const trained = await trainCommand({ config, data: TRAINING, validation: VALIDATION, target: 'defaulted', name: 'loans', algorithm: 'linear', aliases: ['production'], keepData: true });
    expect(trained.keptValidation).toEqual({ digest: digestOf(VALIDATION), size: readFileSync(VALIDATION).length, rows: 5000 });
    registry = await openRegistry({ home, blobGraceMs: 0 });
    // A version from before validation files were kept: its training data kept, its validation file not.
    const older = await trainBundle({ csv: { file: TRAINING }, validationCsv: { file: VALIDATION }, target: 'defaulted', algorithm: 'linear', name: 'older', outDir: join(work, 'older') });
    await registry.register(older.bundle.dir, { aliases: ['production'] });
    await registry.keepTrainingData('older', 1, { file: TRAINING, rows: 20000, source: 'test' });
    ({ retraining, jobs } = retrainingJobs({ registry, labelled, now: () => NOW, workDir: join(work, 'jobs') }));
  });
  afterAll(async () => {
    await jobs?.close();
    await registry?.close();
  });

  it('keeps the validation file by digest beside the training data, named in lineage and referenced while the version exists', async () => {
    const digest = digestOf(VALIDATION);
    expect(await registry.keptValidationData('loans', 1)).toMatchObject({ role: 'validation', digest, rows: 5000 });
    expect(await registry.keptTrainingData('loans', 1)).toMatchObject({ role: 'training', digest: digestOf(TRAINING), rows: 20000 });
    const lineage = (await registry.getVersion('loans', 1)).manifest.lineage as Json;
    expect(lineage.validationData).toMatchObject({ sha256: digest.slice(7), rows: 5000, blob: digest });
    expect(lineage.refit).toBe(false);
    expect(await registry.blobs.stat(digest)).toMatchObject({ size: readFileSync(VALIDATION).length });
    expect((await referencedDigests(registry.store.db)).has(digest)).toBe(true);
    expect(await registry.keptValidationData('older', 1)).toBeUndefined();
  });

  it('checks forgetting on the validation file\'s rows and trains the challenger on all the training rows plus labelled ones', async () => {
    labelled.add('loans', labelledRowsOf('loans_current_drifted.csv', { target: 'defaulted', at: AN_HOUR_AGO }));
    const job = await finished(jobs, (await retraining.retrain('loans')).id);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    const { evaluation } = job.result!.retrain!;
    const [recent, original] = evaluation.table;
    expect(original).toMatchObject({ rows: 'original', count: 5000 });
    expect(original!.championRecorded).toBeUndefined();
    // The champion scored now on the file's rows is the champion training judged on them.
    const champion = (await registry.getVersion('loans', 1)).manifest.evaluation as Json;
    expect(original!.champion.logLoss!).toBeCloseTo(champion.metrics.logLoss, 4);
    expect(original!.champion.rocAuc!).toBeCloseTo(champion.metrics.rocAuc, 4);
    expect(evaluation.forgettingSkipped).toBeUndefined();

    const lineage = (await registry.getVersion('loans', job.result!.retrain!.challenger)).manifest.lineage as Json;
    expect(lineage.retraining.original).toEqual({
      digest: digestOf(TRAINING),
      rows: 20000,
      trainRows: 20000,
      validationRows: 5000,
      validationFile: { source: VALIDATION, digest: digestOf(VALIDATION), rows: 5000 },
      origin: { version: 1, rows: 20000, digest: digestOf(TRAINING) },
    });
    expect(original!.rowsHow).toBe(`v1's original validation rows: its kept validation file (${VALIDATION}), not in its training data nor the challenger's`);
    // The challenger keeps the file it was checked on, by the same digest, for its own retraining.
    expect(await registry.keptValidationData('loans', job.result!.retrain!.challenger)).toMatchObject({ role: 'validation', digest: digestOf(VALIDATION), rows: 5000 });
    expect(lineage.retraining.labelled).toMatchObject({ rows: 5000, trainRows: 5000 - recent!.count, holdoutRows: recent!.count });
    // Trained on every original row and the labelled rows not held out; its own split is the trainer's default.
    expect(lineage.trainRows + lineage.validationRows).toBe(20000 + 5000 - recent!.count);
    expect(await registry.keptTrainingData('loans', job.result!.retrain!.challenger)).toMatchObject({ rows: 25000 });
  });

  it('retrains a champion whose validation file was not kept without the forgetting check, and says why', async () => {
    labelled.add('older', labelledRowsOf('loans_current_drifted.csv', { target: 'defaulted', at: AN_HOUR_AGO }));
    const job = await finished(jobs, (await retraining.retrain('older')).id);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    const { evaluation, reason } = job.result!.retrain!;
    expect(evaluation.table.map((row) => row.rows)).toEqual(['recent']);
    expect(evaluation.forgettingSkipped).toBe(`v1 was validated on a file (${VALIDATION}) that was not kept with it (berth train --keep-data keeps it), so its original validation rows are not known`);
    expect(evaluation.reason).toContain(`; not checked for forgetting: ${evaluation.forgettingSkipped}`);
    expect(reason).toContain('not checked for forgetting');
    const lineage = (await registry.getVersion('older', job.result!.retrain!.challenger)).manifest.lineage as Json;
    expect(lineage.retraining.original).toEqual({ digest: digestOf(TRAINING), rows: 20000, trainRows: 20000, validationRows: 0, validationFile: { source: VALIDATION, kept: false }, origin: { version: 1, rows: 20000, digest: digestOf(TRAINING) } });
    expect(await registry.keptValidationData('older', job.result!.retrain!.challenger)).toBeUndefined();
  });

  it('removes the kept validation file with the last version that keeps it', async () => {
    const digest = digestOf(VALIDATION);
    await registry.deleteVersion('loans', 1, { force: true });
    expect(await registry.keptValidationData('loans', 1)).toBeUndefined();
    // The challenger checked on it still keeps it.
    expect((await referencedDigests(registry.store.db)).has(digest)).toBe(true);
    await registry.deleteVersion('loans', 2, { force: true });
    expect((await referencedDigests(registry.store.db)).has(digest)).toBe(false);
    expect(await registry.blobs.stat(digest)).toBeUndefined();
  });
});
