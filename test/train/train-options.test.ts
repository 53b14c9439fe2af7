/** Training on dates, leaving identifiers out, class weights, a fixed validation file and a strict schema. */
import { describe, expect, it } from 'vitest';
import { Pipeline } from '../../src/runtime/pipeline.js';
import { scoreRows, trainFromCsv } from '../../src/train/index.js';

/** A small churn table: an id, a date, a date-time, a category, a number, free text and the target. */
function churnCsv(rows: number, seed: number, positiveShare = 0.5): string {
  let state = seed;
  const random = (): number => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647;
  };
  const lines = ['customer_id,signup,last_seen,plan,monthly,note,churn'];
  for (let i = 0; i < rows; i++) {
    const year = 2019 + Math.floor(random() * 5);
    const day = `${year}-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`;
    const plan = ['monthly', 'yearly'][Math.floor(random() * 2)]!;
    // Churn follows the signup year and the plan, so the date is worth learning from.
    const risk = (year - 2019) / 4 + (plan === 'monthly' ? 0.5 : 0) + random() * 0.6;
    const churn = risk > 1.6 - positiveShare * 1.2 ? 'yes' : 'no';
    lines.push([9000 + i, day, `${day}T${String(Math.floor(random() * 24)).padStart(2, '0')}:30:00Z`, plan, (20 + random() * 80).toFixed(2), `note ${i} ${random()}`, churn].join(','));
  }
  return `${lines.join('\n')}\n`;
}

describe('training options', () => {
  it('derives date features, leaves the identifier and free text out, and says why', async () => {
    const result = await trainFromCsv({ csv: { data: churnCsv(300, 3), name: 'churn.csv' }, target: 'churn', algorithm: 'linear' });
    expect(result.ignoredColumns).toEqual([
      { name: 'customer_id', reason: 'an identifier: named like one and all 300 values are distinct' },
      { name: 'note', reason: '300 distinct text values (more than 20); free text is not encoded' },
    ]);
    const signup = result.schema.features.find((f) => f.name === 'signup');
    expect(signup).toMatchObject({ type: 'datetime', required: true, parts: ['year', 'month', 'dayOfWeek', 'daysSinceEpoch'] });
    expect(signup).toHaveProperty('min', expect.stringMatching(/^2019-\d\d-\d\d$/));
    expect(result.schema.features.find((f) => f.name === 'last_seen')).toMatchObject({ type: 'datetime', parts: ['year', 'month', 'dayOfWeek', 'hour', 'daysSinceEpoch'] });
    expect(new Pipeline(result.schema, result.pipeline).width).toBe(4 + 5 + 2 + 1);
    // The date is learned: the year drives churn in this data.
    if (result.metrics.task === 'classification') expect(result.metrics.rocAuc).toBeGreaterThan(0.8);

    // Scoring offline (the server's pipeline) gives what training verified in onnxruntime.
    const { predictions } = await scoreRows({
      onnx: result.onnx,
      schema: result.schema,
      pipeline: result.pipeline,
      rows: [{ signup: '2023-06-01', last_seen: '2023-06-01T10:30:00Z', plan: 'monthly', monthly: '50' }],
    });
    expect(predictions[0]).toHaveProperty('label');
  });

  it('weighs a rare class up with classWeight balanced', async () => {
    const csv = churnCsv(600, 11, 0.05);
    const positives = csv.split('\n').filter((l) => l.endsWith(',yes')).length;
    expect(positives / 600).toBeLessThan(0.2);
    const train = (classWeight: 'none' | 'balanced') => trainFromCsv({ csv: { data: csv, name: 'rare.csv' }, target: 'churn', algorithm: 'linear', classWeight, seed: 2 });
    const [plain, balanced] = [await train('none'), await train('balanced')];
    expect(balanced.lineage.classWeight).toBe('balanced');
    expect(plain.lineage.classWeight).toBe('none');
    const meanYes = async (result: typeof plain): Promise<number> => {
      const rows = csv.trim().split('\n').slice(1).map((line) => {
        const [, signup, last_seen, plan, monthly] = line.split(',');
        return { signup, last_seen, plan, monthly };
      });
      const { predictions } = await scoreRows({ onnx: result.onnx, schema: result.schema, pipeline: result.pipeline, rows });
      return predictions.reduce((sum, p) => sum + ('probabilities' in p ? p.probabilities.yes! : 0), 0) / predictions.length;
    };
    // Unweighted, the mean probability tracks the base rate; balanced, the classes weigh alike.
    const share = positives / 600;
    const [plainMean, balancedMean] = [await meanYes(plain), await meanYes(balanced)];
    expect(Math.abs(plainMean - share)).toBeLessThan(0.03);
    expect(balancedMean).toBeGreaterThan(1.5 * share);
    const recall = (result: typeof plain): number => {
      if (result.metrics.task !== 'classification') throw new Error('classification expected');
      const { labels, counts } = result.metrics.confusionMatrix;
      const yes = labels.indexOf('yes');
      return counts[yes]![yes]! / counts[yes]!.reduce((a, b) => a + b, 0);
    };
    expect(recall(balanced)).toBeGreaterThanOrEqual(recall(plain));
  });

  it('refuses class weights for regression', async () => {
    await expect(trainFromCsv({ csv: { data: churnCsv(50, 1), name: 'c.csv' }, target: 'monthly', task: 'regression', classWeight: 'balanced' })).rejects.toMatchObject({
      code: 'BERTH_TRAIN_OPTION_INVALID',
      message: expect.stringContaining('class weights apply to classification'),
    });
  });

  it('validates on a fixed file, whose columns may come in another order', async () => {
    const validationLines = churnCsv(80, 5).trim().split('\n');
    // Columns reordered: the validation file is read by name.
    const reorder = (line: string): string => {
      const cells = line.split(',');
      return [cells[6], ...cells.slice(0, 6)].join(',');
    };
    const validation = `${validationLines.map(reorder).join('\n')}\n`;
    const result = await trainFromCsv({
      csv: { data: churnCsv(200, 3), name: 'train.csv' },
      validationCsv: { data: validation, name: 'holdout.csv' },
      target: 'churn',
      algorithm: 'linear',
    });
    expect(result.metrics.rows).toBe(80);
    expect(result.lineage).toMatchObject({ trainRows: 200, validationRows: 80, validationFraction: null, validationSource: 'holdout.csv' });

    await expect(
      trainFromCsv({ csv: { data: churnCsv(60, 3), name: 'train.csv' }, validationCsv: { data: 'churn,plan\nyes,monthly\n', name: 'short.csv' }, target: 'churn' }),
    ).rejects.toMatchObject({ code: 'BERTH_TRAIN_CSV_INVALID', message: expect.stringContaining("it lacks 'customer_id', 'signup'") });
  });

  it('writes a strict schema on request', async () => {
    const result = await trainFromCsv({ csv: { data: churnCsv(100, 3), name: 'churn.csv' }, target: 'churn', algorithm: 'linear', strict: true });
    expect(result.schema.strict).toBe(true);
    const pipeline = new Pipeline(result.schema, result.pipeline);
    expect(() => pipeline.encode([{ signup: '2023-06-01', last_seen: '2023-06-01', plan: 'weekly', monthly: 50 }])).toThrowError(
      expect.objectContaining({ code: 'BERTH_SCHEMA_CATEGORY_UNKNOWN' }),
    );
  });

  it('cross-validates with folds: every row judged out of fold, the model refitted on every row', async () => {
    const csv = churnCsv(120, 7);
    const result = await trainFromCsv({ csv: { data: csv, name: 'small.csv' }, target: 'churn', folds: 5, seed: 1 });
    expect(result.lineage).toMatchObject({ folds: 5, trainRows: 120, validationRows: 120, validationFraction: null, refit: true });
    expect(result.metrics.rows).toBe(120);
    for (const candidate of result.candidates) {
      const folds = (candidate as typeof candidate & { foldMetrics: { rows: number; accuracy: number }[] }).foldMetrics;
      expect(folds).toHaveLength(5);
      expect(folds.reduce((sum, m) => sum + m.rows, 0)).toBe(120);
      // Pooled out-of-fold accuracy is the row-weighted mean of the folds' accuracies.
      const pooled = folds.reduce((sum, m) => sum + m.accuracy * m.rows, 0) / 120;
      expect(candidate.metrics.task === 'classification' && candidate.metrics.accuracy).toBeCloseTo(pooled, 12);
    }
    // The exported model answers like the refitted in-memory one.
    expect(result.verification.rows).toBeGreaterThan(0);
    expect(result.verification.maxAbsDifference).toBeLessThan(1e-4);
    // The same seed gives the same folds and figures.
    const again = await trainFromCsv({ csv: { data: csv, name: 'small.csv' }, target: 'churn', folds: 5, seed: 1 });
    expect(again.metrics).toEqual(result.metrics);
  });

  it('refuses folds out of range, with a validation file, or on too few rows', async () => {
    const csv = { data: churnCsv(60, 3), name: 'c.csv' };
    await expect(trainFromCsv({ csv, target: 'churn', folds: 1 })).rejects.toMatchObject({ code: 'BERTH_TRAIN_OPTION_INVALID', message: expect.stringContaining('from 2 to 20') });
    await expect(trainFromCsv({ csv, validationCsv: { data: churnCsv(20, 4), name: 'v.csv' }, target: 'churn', folds: 3 })).rejects.toMatchObject({
      code: 'BERTH_TRAIN_OPTION_INVALID',
      message: expect.stringContaining('exclude each other'),
    });
    await expect(trainFromCsv({ csv: { data: churnCsv(30, 3), name: 'c.csv' }, target: 'churn', folds: 20 })).rejects.toMatchObject({
      code: 'BERTH_TRAIN_DATA_INSUFFICIENT',
      message: expect.stringContaining('20-fold cross-validation needs at least 40'),
    });
  });

  it('refuses data too repetitive to hold any row out, copies of a row staying on one side', async () => {
    // 40 requests, but only one per class (copies differ only in an ignored id and in how a number is written).
    const lines = ['request_id,size,color,label', ...Array.from({ length: 40 }, (_, i) => (i % 2 ? `r${i},2,blue,no` : `r${i},${i % 4 ? '1' : '1.0'},red,yes`))];
    const csv = { data: `${lines.join('\n')}\n`, name: 'copies.csv' };
    await expect(trainFromCsv({ csv, target: 'label' })).rejects.toMatchObject({
      code: 'BERTH_TRAIN_DATA_INSUFFICIENT',
      message: expect.stringContaining("each class's rows are copies of one row"),
    });
    await expect(trainFromCsv({ csv, target: 'label', folds: 2 })).rejects.toMatchObject({
      code: 'BERTH_TRAIN_DATA_INSUFFICIENT',
      message: expect.stringContaining('2 different rows among 40 (copies of a row share a fold); 2-fold cross-validation needs at least 4'),
    });
  });
});
