/**
 * Retraining on live traffic full of identical labelled rows (a request repeated, a client
 * retrying): the recent rows are held out by content, so every copy of a row is on one side and
 * the challenger is never judged on a row it trained on. Real training, onnxruntime and SQLite;
 * imported from dist/ because jobs train in worker threads (run `npm run build:server`).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Retraining } from '../../dist/app/retraining/retraining.js';
import type { TrainingJobs as TrainingJobsType } from '../../dist/app/training-jobs.js';
import { trainCommand } from '../../dist/cli/commands/train.js';
import { buildConfig } from '../../dist/core/config.js';
import { type Registry, openRegistry } from '../../dist/registry/index.js';
import type { LabelledRow } from '../../dist/monitor/index.js';
import { MemoryLabelledRows, labelledRowsOf } from '../helpers/labelled-rows.js';
import { tempDir } from '../helpers/models.js';
import { finished, retrainingJobs } from '../helpers/retraining-jobs.js';
import { DATASETS } from '../helpers/trained.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const AN_HOUR_AGO = NOW - 3_600_000;
/** Each distinct labelled row comes this many times. */
const COPIES = 5;
/** Distinct rows per class: 301 × 5 and 201 × 5, so 30% of a class (452 and 302 rows) is no whole number of rows' copies. */
const DISTINCT = { '0': 301, '1': 201 } as const;

/** Lineage is free-form JSON, read field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** Distinct drifted rows of each class, each sent COPIES times, the copies spread over the hour. */
function repeatedTraffic(): LabelledRow[] {
  const seen = new Set<string>();
  const taken = { '0': 0, '1': 0 };
  const distinct = labelledRowsOf('loans_current_drifted.csv', { target: 'defaulted', at: 0 }).filter((row) => {
    const label = String(row.actual) as '0' | '1';
    const content = JSON.stringify([row.features, label]);
    if (seen.has(content) || taken[label] >= DISTINCT[label]) return false;
    seen.add(content);
    taken[label]++;
    return true;
  });
  expect(taken).toEqual(DISTINCT);
  const rows: LabelledRow[] = [];
  for (let copy = 0; copy < COPIES; copy++) {
    for (const row of distinct) rows.push({ ...row, requestId: `req-${rows.length}`, at: AN_HOUR_AGO + rows.length });
  }
  return rows;
}

describe('retraining on repeated labelled rows', () => {
  const work = tempDir('berth-retraining-duplicates-');
  const home = join(work, 'home');
  let registry: Registry;
  let jobs: TrainingJobsType;
  let retraining: Retraining;
  const labelled = new MemoryLabelledRows();

  beforeAll(async () => {
    const config = buildConfig({ store: { home } });
    await trainCommand({ config, data: join(DATASETS, 'loans_current_stable.csv'), target: 'defaulted', name: 'loans', algorithm: 'linear', seed: 3, aliases: ['production'], keepData: true });
    registry = await openRegistry({ home });
    ({ retraining, jobs } = retrainingJobs({ registry, labelled, now: () => NOW, workDir: join(work, 'jobs') }));
    labelled.add('loans', repeatedTraffic());
  });
  afterAll(async () => {
    await jobs?.close();
    await registry?.close();
  });

  it('holds out every copy of a row or none, near the holdout share, the same for the same seed', async () => {
    const run = async () => {
      const job = await finished(jobs, (await retraining.retrain('loans', { actor: { interface: 'cli' } })).id);
      expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
      const version = job.result!.retrain!.challenger!;
      return { outcome: job.result!.retrain!, lineage: (await registry.getVersion('loans', version)).manifest.lineage as Json };
    };
    const first = await run();
    const rows = COPIES * (DISTINCT['0'] + DISTINCT['1']);
    expect(first.lineage.retraining.labelled).toMatchObject({ rows, alreadyKept: 0, holdout: 0.3, seed: 0 });
    const recent = first.outcome.evaluation.table[0]!;
    expect(recent.rows).toBe('recent');
    // Whole rows' copies only: split by index, 30% of each class would be 452 + 302 = 754 rows.
    expect(recent.count % COPIES).toBe(0);
    expect(first.lineage.retraining.labelled.holdoutRows).toBe(recent.count);
    expect(first.lineage.retraining.labelled.trainRows).toBe(rows - recent.count);
    // Within half a row's copies of each class's share.
    const share = Math.round(COPIES * DISTINCT['0'] * 0.3) + Math.round(COPIES * DISTINCT['1'] * 0.3);
    expect(Math.abs(recent.count - share)).toBeLessThanOrEqual(COPIES);
    expect(recent.count).not.toBe(share);

    // The same seed splits the same rows: the same counts and the same figures.
    const second = await run();
    expect(second.outcome.evaluation.table).toEqual(first.outcome.evaluation.table);
    expect(second.lineage.retraining.labelled).toEqual(first.lineage.retraining.labelled);
  });

  it('fails the job when every class is copies of one row, as none can be held out', async () => {
    const [yes, no] = [0, 1].map((label) => repeatedTraffic().find((row) => String(row.actual) === String(label))!);
    labelled.clear('loans');
    labelled.add('loans', Array.from({ length: 200 }, (_, i) => ({ ...(i % 2 ? yes! : no!), requestId: `copy-${i}`, at: AN_HOUR_AGO + i })));
    const job = await finished(jobs, (await retraining.retrain('loans', { actor: { interface: 'cli' } })).id);
    expect(job.state).toBe('failed');
    expect(job.error).toMatchObject({ code: 'BERTH_RETRAIN_TOO_FEW_ROWS', error: expect.stringContaining('has 2 labelled rows in the last 7d that v1\'s kept data does not already hold, counting copies of a row once; retraining needs at least 3') });
  });
});

