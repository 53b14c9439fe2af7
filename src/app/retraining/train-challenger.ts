/**
 * Training a challenger (run in a training worker thread): the champion's original training data
 * and the labelled rows of a window, split with a recorded seed; the champion's trainer and
 * settings; both models scored on the same held-out recent rows and on the original validation
 * rows (the first champion's of the chain: its seeded split of its data, the last fold of its
 * cross-validation, or the validation file it was judged on), which no challenger trains on; the
 * challenger packaged with its lineage (parent, trigger, data and windows, evaluation, and the
 * first champion its original rows come from).
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { stringify } from 'csv-stringify/sync';
import { Errors } from '../../core/errors.js';
import type { FeatureSchema } from '../../core/feature-schema.js';
import { RowValidator } from '../../core/validate-row.js';
import type { PipelineSpec } from '../../core/pipeline-spec.js';
import type { RetrainTriggerKind } from '../../core/retrain-policy.js';
import { type JsonObject, loadBundle } from '../../registry/index.js';
import {
  type AlgorithmChoice,
  type ClassWeight,
  type CsvTable,
  DEFAULT_GBDT_PARAMETERS,
  type GbdtParameters,
  type Metrics,
  type TrainProgress,
  classificationMetrics,
  distinctContents,
  foldSplits,
  inferSchema,
  parseCsv,
  regressionMetrics,
  rowContents,
  scoreRows,
  splitRows,
  tableRecords,
  trainFromTable,
} from '../../train/index.js';
import { type TrainedBundle, packageTrainResult } from '../train-bundle.js';
import { type ChallengerEvaluation, type EvaluationRow, evaluatedFigures, judgeChallenger } from './judge-challenger.js';

/** Why a retraining ran. */
export interface RetrainTrigger {
  readonly kind: RetrainTriggerKind;
  /** What fired: the alert rule, the schedule, the count of rows. */
  readonly detail?: string;
}

/** What a retraining worker is given (files prepared by the replica that runs the job). */
export interface ChallengerInput {
  readonly model: string;
  /** The champion's version number. */
  readonly parent: number;
  /** The champion's bundle folder. */
  readonly championDir: string;
  /** The champion's kept training data. */
  readonly originalCsv: string;
  readonly originalDigest: string;
  /** The champion's kept validation file, when it was validated on one (`berth train --validation`) that was kept. */
  readonly validationCsv?: string | undefined;
  readonly validationDigest?: string | undefined;
  /** The labelled rows of the window as CSV in the original columns (labelled-table.ts). */
  readonly recentCsv: string;
  /** Where the challenger's training data (original rows, then the labelled rows) is written, to be kept. */
  readonly keptCsv: string;
  readonly trigger: RetrainTrigger;
  /** The window of labelled rows, ISO 8601, and how it was asked for (`7d`). */
  readonly window: { readonly from: string; readonly to: string; readonly since: string };
  readonly holdout: number;
  /** Fewest labelled rows to retrain on, once those the champion's kept data already holds are left out (the policy's minRows). */
  readonly minRows?: number | undefined;
  readonly seed: number;
  readonly margin: number;
  readonly forgetting: number;
  readonly algorithm?: AlgorithmChoice | undefined;
  readonly outDir: string;
  readonly onProgress?: (progress: TrainProgress) => void;
}

/** What the worker reports besides the training summary. */
export interface ChallengerReport {
  readonly parent: number;
  readonly evaluation: ChallengerEvaluation;
  /** The challenger's training data to keep: sha256 of the kept CSV (hex) and its rows. */
  readonly kept: { readonly sha256: string; readonly rows: number; readonly size: number };
  /** The validation file it was checked on for forgetting, to keep with it by the same digest, so that its own retraining checks on it too. */
  readonly validation?: { readonly digest: string; readonly rows: number };
}

/** The champion's lineage as training wrote it (the fields retraining reads). */
interface ChampionLineage {
  readonly target: string;
  readonly task: 'classification' | 'regression';
  readonly algorithm?: 'linear' | 'gbdt';
  readonly parameters?: Readonly<Record<string, number | string | null>>;
  readonly seed?: number;
  readonly validationFraction?: number | null;
  /** The validation file the champion was judged on, when it had one instead of a split. */
  readonly validationSource?: string;
  /** The folds of its cross-validation, when it was judged by k-fold cross-validation instead of a split. */
  readonly folds?: number;
  readonly classWeight?: ClassWeight;
  readonly refit?: boolean;
}

/**
 * The first champion of a chain of retrainings, whose original validation rows every challenger
 * since is checked on: its version, its kept training data's digest, and that data's rows, which
 * lead the kept data of every version retrained from it.
 */
interface Origin {
  readonly version: number;
  readonly rows: number;
  readonly digest: string;
}

/** How the first champion was validated: on a file, by k-fold cross-validation, or on a seeded split. */
interface OriginalRule {
  readonly validationFile?: string;
  readonly folds?: number;
  readonly seed: number;
  readonly validationFraction: number;
}

/**
 * The first champion and its rule, when the champion was itself retrained (its lineage has a
 * parent and the original rows its retraining held out), else undefined. A challenger from
 * before `origin` was recorded held out its own champion's rows, so that champion is the origin.
 */
function retrainedFrom(lineage: unknown, model: string, parent: number): { origin: Origin; rule: OriginalRule } | undefined {
  const found = lineage as { parent?: unknown; retraining?: { original?: Record<string, unknown> } } | undefined;
  const record = found?.retraining?.original;
  if (typeof found?.parent !== 'number' || !record || typeof record.rows !== 'number' || typeof record.digest !== 'string') return undefined;
  const recorded = record.origin as Partial<Origin> | undefined;
  const origin: Origin =
    typeof recorded?.version === 'number' && typeof recorded.rows === 'number' && typeof recorded.digest === 'string'
      ? { version: recorded.version, rows: recorded.rows, digest: recorded.digest }
      : { version: found.parent, rows: record.rows, digest: record.digest };
  const file = record.validationFile as { source?: unknown } | undefined;
  if (typeof file?.source !== 'string' && typeof record.folds !== 'number' && (typeof record.seed !== 'number' || typeof record.validationFraction !== 'number')) {
    throw Errors.RETRAIN_NO_CHAMPION.create(model, `the lineage of version ${parent} does not say which original validation rows its retraining held out`);
  }
  return {
    origin,
    rule: {
      ...(typeof file?.source === 'string' ? { validationFile: file.source } : {}),
      ...(typeof record.folds === 'number' ? { folds: record.folds } : {}),
      seed: typeof record.seed === 'number' ? record.seed : 0,
      validationFraction: typeof record.validationFraction === 'number' ? record.validationFraction : 0,
    },
  };
}

/**
 * Trains, evaluates and packages a challenger. Throws BERTH_RETRAIN_NO_CHAMPION when the champion
 * was not trained by Berth, BERTH_RETRAIN_SCHEMA_CHANGED when the data's columns differ, and the
 * trainer's errors.
 */
export async function trainChallenger(input: ChallengerInput): Promise<TrainedBundle & { report: ChallengerReport }> {
  const champion = await loadBundle(input.championDir);
  const lineage = champion.manifest.lineage as unknown as ChampionLineage | undefined;
  if (!lineage || typeof lineage.target !== 'string' || (lineage.task !== 'classification' && lineage.task !== 'regression') || !champion.manifest.schema || !champion.manifest.pipeline) {
    throw Errors.RETRAIN_NO_CHAMPION.create(input.model, `version ${input.parent} has no training lineage (it was not trained by berth train)`);
  }
  const original = parseCsv(await readFile(input.originalCsv), `the training data of ${input.model}:${input.parent}`);
  const recentBytes = await readFile(input.recentCsv);
  const labelled = parseCsv(recentBytes, `the labelled rows of ${input.model}`, { delimiter: ',' });
  if (labelled.header.join('\u0000') !== original.header.join('\u0000')) {
    throw Errors.RETRAIN_SCHEMA_CHANGED.create(input.model, input.parent, 'the labelled rows do not have the columns of the original training data');
  }
  const target = lineage.target;
  const task = lineage.task;
  const targetIndex = original.header.indexOf(target);

  // Labelled rows the champion's kept data already holds (its window overlapped this one, as a
  // daily retraining over 7 days does) trained the champion and would train the challenger: they
  // are neither judged on nor kept again, so no model is scored on rows it trained on.
  const keptRows = new Set(original.rows.map((row) => JSON.stringify(row)));
  const fresh = labelled.rows.filter((row) => !keptRows.has(JSON.stringify(row)));
  const alreadyKept = labelled.rows.length - fresh.length;
  const recent: CsvTable = alreadyKept > 0 ? { ...labelled, rows: fresh } : labelled;
  const newRows = `${input.window.since ? `the last ${input.window.since}` : 'the window'} that v${input.parent}'s kept data does not already hold`;
  if (alreadyKept > 0 && recent.rows.length < (input.minRows ?? 1)) throw Errors.RETRAIN_TOO_FEW_ROWS.create(input.model, recent.rows.length, input.minRows ?? 1, newRows);
  const classes = task === 'classification' ? new Set(recent.rows.map((row) => row[targetIndex]!)) : undefined;
  if (alreadyKept > 0 && classes && classes.size < 2) throw Errors.RETRAIN_SINGLE_CLASS.create(input.model, [...classes][0] ?? '', recent.rows.length);

  // The original validation rows are the first champion's, whatever the chain: its validation
  // file, the last fold of its cross-validation, or its seeded split of its training data, which
  // leads the kept data of every version retrained from it. A retrained champion's own split was
  // over its own training rows, not over its kept data, so redoing it would score it on rows it
  // trained on; the first champion's rows were held out of every challenger's training instead.
  const inherited = retrainedFrom(champion.manifest.lineage, input.model, input.parent);
  const origin: Origin = inherited?.origin ?? { version: input.parent, rows: original.rows.length, digest: input.originalDigest };
  const rule: OriginalRule = inherited?.rule ?? {
    ...(typeof lineage.validationSource === 'string' ? { validationFile: lineage.validationSource } : {}),
    ...(typeof lineage.folds === 'number' ? { folds: lineage.folds } : {}),
    seed: typeof lineage.seed === 'number' ? lineage.seed : input.seed,
    validationFraction: typeof lineage.validationFraction === 'number' ? lineage.validationFraction : input.holdout,
  };
  // The first champion's training data: the leading rows of the kept data.
  const leading: CsvTable = origin.rows === original.rows.length ? original : { ...original, rows: original.rows.slice(0, origin.rows) };
  const first = `v${origin.version}`;
  // Why neither model has seen the rows, after what they are.
  const why = inherited
    ? `; every version retrained from ${first} was trained without them, v${input.parent} as the challenger is, so neither model has seen them`
    : '';
  const inKept = inherited ? `, the first ${origin.rows} rows of v${input.parent}'s kept data` : '';
  let validationTable: CsvTable = original;
  let originalValidation: number[] = [];
  let heldOut = new Set<number>();
  let forgettingSkipped: string | undefined;
  let originalRecord: Record<string, unknown>;
  let rowsHow: string | undefined;
  let checkedOnFile: ChallengerReport['validation'];
  // The champion's fair figures on the original rows when, refitted on every row, it has seen
  // them: only a first champion can have (a retrained one never trained on them).
  let baseline: { readonly figures: Record<string, number | null>; readonly how: string } | undefined;
  const refitted = !inherited && lineage.refit === true;
  if (original.rows.length < origin.rows) {
    throw Errors.RETRAIN_NO_CHAMPION.create(input.model, `the kept data of version ${input.parent} has ${original.rows.length} rows, fewer than the ${origin.rows} rows of ${first}'s training data its lineage says it begins with`);
  }
  if (rule.validationFile !== undefined && input.validationCsv !== undefined) {
    validationTable = parseCsv(await readFile(input.validationCsv), `the validation file of ${input.model}:${input.parent}`);
    if (!validationTable.header.includes(target)) {
      throw Errors.RETRAIN_SCHEMA_CHANGED.create(input.model, input.parent, `the kept validation file has no column '${target}'`);
    }
    originalValidation = Array.from(inferSchema(validationTable, { target, task }).rows);
    originalRecord = { validationFile: { source: rule.validationFile, digest: input.validationDigest, rows: validationTable.rows.length } };
    if (input.validationDigest !== undefined) checkedOnFile = { digest: input.validationDigest, rows: validationTable.rows.length };
    rowsHow = `${first}'s original validation rows: its kept validation file (${rule.validationFile}), not in its training data${inherited ? why : ' nor the challenger\'s'}`;
    const recorded = refitted ? recordedFigures(champion.manifest.evaluation) : undefined;
    if (recorded) baseline = { figures: recorded, how: 'as training recorded it on the validation file, before refitting the champion on every row' };
  } else if (rule.validationFile !== undefined) {
    // Its seeded split of the training data would be rows the champion was trained on: no fair check.
    forgettingSkipped = inherited
      ? `${first}, whose original validation rows v${input.parent} was checked on, was validated on a file (${rule.validationFile}) that is not kept, so those rows are not known`
      : `v${input.parent} was validated on a file (${rule.validationFile}) that was not kept with it (berth train --keep-data keeps it), so its original validation rows are not known`;
    originalRecord = { validationFile: { source: rule.validationFile, kept: false } };
  } else if (rule.folds !== undefined) {
    // Every row trained the refitted first champion, so none is fair to score it on. Training's
    // split into folds is redone (same seed, same strata); the last fold is held out of the
    // challenger, and that champion's figure on it is the one training recorded for the model
    // fitted without it (a retrained champion was trained without it, and is scored as it is).
    const inferred = inferSchema(leading, { target, task });
    const splits = foldSplits(inferred.rows.length, {
      folds: rule.folds,
      seed: rule.seed,
      ...(inferred.target.task === 'classification' ? { strata: inferred.target.classes } : {}),
      contents: rowContents(inferred),
    });
    const fold = splits.length;
    originalValidation = Array.from(splits[fold - 1]!.validation, (i) => inferred.rows[i]!);
    heldOut = new Set(originalValidation);
    originalRecord = { seed: rule.seed, folds: rule.folds, fold };
    rowsHow = `${first}'s original validation rows: fold ${fold} of its ${rule.folds}-fold cross-validation (seed ${rule.seed}) of its training data${inKept}${inherited ? why : ', held out of the challenger\'s training'}`;
    if (!inherited) baseline = foldBaseline(champion.manifest.evaluation, fold, rule.folds);
  } else {
    const inferred = inferSchema(leading, { target, task });
    const originalSplit = splitRows(inferred.rows.length, {
      fraction: rule.validationFraction,
      seed: rule.seed,
      ...(inferred.target.task === 'classification' ? { strata: inferred.target.classes } : {}),
      contents: rowContents(inferred),
    });
    originalValidation = Array.from(originalSplit.validation, (i) => inferred.rows[i]!);
    heldOut = new Set(originalValidation);
    originalRecord = { seed: rule.seed, validationFraction: rule.validationFraction };
    rowsHow = `${first}'s original validation rows: its seeded split (seed ${rule.seed}, fraction ${rule.validationFraction}) of its training data${inKept}${inherited ? why : ', held out of the challenger\'s training'}`;
    const recorded = refitted && typeof lineage.validationFraction === 'number' ? recordedFigures(champion.manifest.evaluation) : undefined;
    if (recorded) baseline = { figures: recorded, how: 'as training recorded it on these rows, before refitting the champion on every row' };
  }

  // The recent rows: a seeded split, stratified by class, identical rows (a repeated request, a
  // client's retries) on the same side, so the challenger is not judged on rows it trained on.
  const truths = recent.rows.map((row) => row[targetIndex]!);
  const labels = [...new Set(truths)].sort();
  const recentContents = labelledContents(recent, champion.manifest.schema, target);
  const recentSplit = splitRows(recent.rows.length, {
    fraction: input.holdout,
    seed: input.seed,
    ...(task === 'classification' ? { strata: truths.map((t) => labels.indexOf(t)) } : {}),
    contents: recentContents,
  });
  if (recentSplit.validation.length === 0) {
    // Every class's rows are copies of one row: none can be held out without training on its copy.
    const distinct = distinctContents(recent.rows.length, recentContents);
    throw Errors.RETRAIN_TOO_FEW_ROWS.create(input.model, distinct, (task === 'classification' ? labels.length : 1) + 1, `${newRows}, counting copies of a row once`);
  }

  // What the challenger keeps: every original row, then every labelled row.
  const keptText = stringify([original.header as string[], ...(original.rows as string[][]), ...(recent.rows as string[][])]);
  await writeFile(input.keptCsv, keptText);
  const keptSha = createHash('sha256').update(keptText).digest('hex');

  const trainRows = [...original.rows.filter((_, i) => !heldOut.has(i)), ...Array.from(recentSplit.train, (i) => recent.rows[i]!)];
  const table: CsvTable = { source: `${input.model}:${input.parent} training data + labelled rows`, header: original.header, rows: trainRows, sha256: keptSha };
  const algorithm = input.algorithm ?? lineage.algorithm ?? 'auto';
  const result = await trainFromTable(table, {
    target,
    task,
    algorithm,
    seed: input.seed,
    ...(typeof lineage.validationFraction === 'number' ? { validationFraction: lineage.validationFraction } : {}),
    ...(lineage.classWeight ? { classWeight: lineage.classWeight } : {}),
    ...(algorithm === 'gbdt' && lineage.algorithm === 'gbdt' ? { gbdt: gbdtSettings(lineage.parameters) } : {}),
    ...(input.onProgress ? { onProgress: (p: TrainProgress) => input.onProgress!({ ...p, fraction: p.fraction * 0.9 }) } : {}),
  });

  input.onProgress?.({ stage: 'verify', completed: 0, total: 1, fraction: 0.92, message: 'scoring the challenger and the champion on the same rows' });
  const championOnnx = new Uint8Array(await readFile(champion.modelPath));
  const championSchema = champion.manifest.schema;
  const championPipeline = champion.manifest.pipeline;
  const score = async (rows: readonly Record<string, string>[], truth: readonly string[]) => ({
    challenger: await figures(result.onnx, result.schema, result.pipeline, rows, truth),
    champion: await figures(championOnnx, championSchema, championPipeline, rows, truth),
  });
  const recentHoldout = Array.from(recentSplit.validation);
  const recentScores = await score(tableRecords(recent, recentHoldout), recentHoldout.map((i) => truths[i]!));
  const recentRow: EvaluationRow = { rows: 'recent', count: recentHoldout.length, challenger: recentScores.challenger, champion: recentScores.champion };
  let originalRow: EvaluationRow | undefined;
  if (originalValidation.length > 0) {
    const validationTarget = validationTable.header.indexOf(target);
    const scores = await score(tableRecords(validationTable, originalValidation), originalValidation.map((i) => validationTable.rows[i]![validationTarget]!));
    originalRow = {
      rows: 'original',
      count: originalValidation.length,
      challenger: scores.challenger,
      champion: scores.champion,
      ...(rowsHow !== undefined ? { rowsHow } : {}),
      ...(baseline ? { championRecorded: baseline.figures, championRecordedHow: baseline.how } : {}),
    };
  }
  const evaluation = judgeChallenger(task, recentRow, originalRow, { margin: input.margin, forgetting: input.forgetting, ...(forgettingSkipped ? { forgettingSkipped } : {}) });

  const from = Date.parse(input.window.from);
  const to = Date.parse(input.window.to);
  const trained = await packageTrainResult(
    { ...result, table },
    {
      outDir: input.outDir,
      name: input.model,
      description: champion.manifest.description,
      lineage: {
        data: { source: table.source, sha256: keptSha, rows: original.rows.length + recent.rows.length, columns: [...original.header], blob: `sha256:${keptSha}` },
        parent: input.parent,
        trigger: { kind: input.trigger.kind, ...(input.trigger.detail !== undefined ? { detail: input.trigger.detail } : {}) },
        retraining: {
          original: {
            digest: input.originalDigest,
            rows: original.rows.length,
            trainRows: original.rows.length - heldOut.size,
            validationRows: originalValidation.length,
            ...originalRecord,
            origin: { version: origin.version, rows: origin.rows, digest: origin.digest },
          },
          labelled: {
            window: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), since: input.window.since },
            sha256: createHash('sha256').update(recentBytes).digest('hex'),
            rows: labelled.rows.length,
            alreadyKept,
            trainRows: recentSplit.train.length,
            holdoutRows: recentSplit.validation.length,
            holdout: input.holdout,
            seed: input.seed,
          },
        },
        evaluation: evaluation as unknown as JsonObject,
      } as unknown as JsonObject,
    },
  );
  input.onProgress?.({ stage: 'done', completed: 1, total: 1, fraction: 1, message: evaluation.better ? 'the challenger is better' : 'the challenger is not better' });
  const report: ChallengerReport = {
    parent: input.parent,
    evaluation,
    kept: { sha256: keptSha, rows: original.rows.length + recent.rows.length, size: Buffer.byteLength(keptText) },
    ...(checkedOnFile ? { validation: checkedOnFile } : {}),
  };
  return { ...trained, report };
}

/**
 * Each labelled row's content for the split: the champion's features as it reads them (RowValidator:
 * missing, a number however written, true or false, a datetime) and the truth, so repeats of a
 * request are one row whatever columns it ignores. A row the champion would refuse keeps its text.
 */
function labelledContents(table: CsvTable, schema: FeatureSchema, target: string): string[] {
  const validator = new RowValidator(schema);
  const targetIndex = table.header.indexOf(target);
  return table.rows.map((row, i) => {
    let values: unknown;
    try {
      values = validator.validate(Object.fromEntries(table.header.map((name, c) => [name, row[c]])), i);
    } catch {
      values = row;
    }
    return JSON.stringify([values, row[targetIndex]!]);
  });
}

/** A model's figures on rows whose truth it knows; rows of a class it never saw are left out. */
async function figures(
  onnx: Uint8Array,
  schema: FeatureSchema,
  pipeline: PipelineSpec,
  rows: readonly Record<string, string>[],
  truth: readonly string[],
): Promise<Record<string, number | null>> {
  const { predictions } = await scoreRows({ onnx, schema, pipeline, rows });
  let metrics: Metrics;
  if (pipeline.output.task === 'classification') {
    const labels = pipeline.output.labels;
    const kept = truth.flatMap((t, i) => (labels.includes(t) ? [i] : []));
    const probabilities = new Float64Array(kept.length * labels.length);
    kept.forEach((r, i) => {
      const p = predictions[r]!;
      labels.forEach((label, c) => (probabilities[i * labels.length + c] = 'probabilities' in p ? p.probabilities[label]! : 0));
    });
    metrics = classificationMetrics(Int32Array.from(kept, (r) => labels.indexOf(truth[r]!)), probabilities, labels);
  } else {
    metrics = regressionMetrics(Float64Array.from(truth, Number), Float64Array.from(predictions, (p) => ('value' in p ? p.value : NaN)));
  }
  return evaluatedFigures(metrics);
}

/** A bundle's recorded validation figures, when its evaluation holds the trainer's metrics. */
function recordedFigures(evaluation: unknown): Record<string, number | null> | undefined {
  const metrics = (evaluation as { metrics?: Metrics } | undefined)?.metrics;
  return metrics && (metrics.task === 'classification' || metrics.task === 'regression') ? evaluatedFigures(metrics) : undefined;
}

/**
 * A cross-validated champion's figures on fold `fold` (1-based) of `folds`: those training
 * recorded for the chosen trainer's model fitted without that fold. A bundle without per-fold
 * figures falls back on the pooled out-of-fold ones: still each row predicted by a model fitted
 * without it, though over every fold rather than this one.
 */
function foldBaseline(evaluation: unknown, fold: number, folds: number): { figures: Record<string, number | null>; how: string } | undefined {
  const recorded = evaluation as { algorithm?: unknown; candidates?: readonly { algorithm?: unknown; foldMetrics?: readonly Metrics[] }[] } | undefined;
  const chosen = recorded?.candidates?.find((c) => c.algorithm === recorded.algorithm);
  const metrics = chosen?.foldMetrics?.length === folds ? chosen.foldMetrics[fold - 1] : undefined;
  if (metrics && (metrics.task === 'classification' || metrics.task === 'regression')) {
    return { figures: evaluatedFigures(metrics), how: `as training recorded it on fold ${fold} of ${folds}, for the model fitted without these rows, before refitting the champion on every row` };
  }
  const pooled = recordedFigures(evaluation);
  return pooled ? { figures: pooled, how: `as training recorded it out of fold over all ${folds} folds, before refitting the champion on every row` } : undefined;
}

/** The champion's GBDT settings, less the iterations early stopping chose (the new data chooses again). */
function gbdtSettings(parameters: ChampionLineage['parameters']): Partial<GbdtParameters> {
  const settings: Record<string, number> = {};
  for (const key of Object.keys(DEFAULT_GBDT_PARAMETERS)) {
    const value = parameters?.[key];
    if (key !== 'maxIterations' && typeof value === 'number') settings[key] = value;
  }
  return settings as Partial<GbdtParameters>;
}
