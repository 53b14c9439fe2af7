/**
 * Training from a table: infer the schema, split, fit the pipeline and the candidate models, pick
 * the best on validation, export it to ONNX and check the export in onnxruntime. Rows reach the
 * models through the same Pipeline class the server runs, so a row's features are identical
 * offline and online.
 */
import { Errors } from '../core/errors.js';
import type { FeatureSchema } from '../core/feature-schema.js';
import type { PipelineOutput, PipelineSpec } from '../core/pipeline-spec.js';
import { type FeatureValue, RowValidator } from '../core/validate-row.js';
import { Pipeline, type Prediction, type TensorRunner } from '../runtime/pipeline.js';
import { createSession, runSession } from '../runtime/session-runner.js';
import type { Algorithm, AlgorithmChoice, CandidateReport } from './candidate-report.js';
import { type CsvTable, rowLine, tableRecords } from './csv-table.js';
import { exportOnnx } from './export-onnx.js';
import { crossValidate } from './cross-validate.js';
import { type CandidateFit, type CandidateSettings, type EncodedRows, betterMetrics, fitCandidate, refitCandidate } from './fit-candidates.js';
import { fitPipeline } from './fit-pipeline.js';
import { type FittedModel, outputWidth, predictOutputs } from './fitted-model.js';
import { type IgnoredColumn, type ParsedColumn, type TargetColumn, type Task, inferSchema } from './infer-schema.js';
import type { Metrics } from './metrics.js';
import { type RowSplit, distinctContents, foldSplits, rowContents, splitRows } from './split-rows.js';

/** One step of training, for progress bars and logs. */
export interface TrainProgress {
  readonly stage: 'read' | 'infer' | 'split' | 'fit' | 'refit' | 'export' | 'verify' | 'done';
  /** The trainer running, during `fit`. */
  readonly algorithm?: Algorithm;
  /** Work done and total within the stage (iterations, penalties tried). */
  readonly completed: number;
  readonly total: number;
  /** Overall progress in [0, 1], monotone across stages. */
  readonly fraction: number;
  readonly message: string;
}

/** Options for {@link trainFromTable}. */
export interface TrainOptions extends CandidateSettings {
  /** The column to predict. */
  readonly target: string;
  readonly task?: Task | 'auto';
  readonly algorithm?: AlgorithmChoice;
  /** Seed of every random choice (the split); default 0. */
  readonly seed?: number;
  /** Share of rows held out for validation (early stopping, model choice, metrics); default 0.2. */
  readonly validationFraction?: number;
  /** Strings that mean "missing" in the data. */
  readonly missingValues?: readonly string[];
  /** Most distinct values a text column may have to be a category. */
  readonly maxCategories?: number;
  /**
   * After choosing the trainer and its hyperparameters on validation, fit the exported model on
   * every row. The reported metrics stay those of the model fitted on the training rows alone, an
   * honest estimate; the refitted model has also seen the validation rows. `auto` (the default)
   * refits up to REFIT_AUTO_MAX_ROWS rows, where the extra rows help most and refitting is cheap.
   */
  readonly refit?: boolean | 'auto';
  /**
   * A fixed validation set instead of a random split: rows with the training file's columns (in
   * any order). Its rows choose the model and give the metrics; the schema is read from both.
   */
  readonly validation?: CsvTable;
  /**
   * K-fold cross-validation instead of one held-out split (2 to MAX_FOLDS folds, stratified by class):
   * each trainer is judged on every row, predicted by a model fitted without it, and the chosen one
   * is refitted on every row with the hyperparameters the folds agree on. For small data, where one
   * split's figures swing with the split.
   */
  readonly folds?: number;
  /**
   * `balanced` weighs each class by rows / (classes × rows of the class) on the training rows, as
   * scikit-learn's `class_weight='balanced'`, so a rare class counts as much as a common one;
   * `none` (the default) weighs every row 1. Classification only.
   */
  readonly classWeight?: ClassWeight;
  /** Write `strict: true` in the schema: the server refuses values training never saw instead of warning. */
  readonly strict?: boolean;
  readonly onProgress?: (progress: TrainProgress) => void;
}

/** How rows are weighed by class; see {@link TrainOptions.classWeight}. */
export type ClassWeight = 'none' | 'balanced';

/** Where a model came from. */
export interface Lineage {
  readonly data: { readonly source: string; readonly sha256: string; readonly rows: number; readonly columns: readonly string[] };
  readonly target: string;
  readonly task: Task;
  readonly algorithm: Algorithm;
  readonly method: CandidateReport['method'];
  readonly parameters: Readonly<Record<string, number | string | null>>;
  readonly seed: number;
  /** Share held out by the random split; null with a validation file. */
  readonly validationFraction: number | null;
  /** The validation file, when one was given. */
  readonly validationSource?: string;
  /** The validation file's bytes (sha256, hex) and data rows, when one was given: what retraining needs to find it again. */
  readonly validationData?: { readonly source: string; readonly sha256: string; readonly rows: number };
  /** The number of cross-validation folds, when the metrics come from k-fold cross-validation. */
  readonly folds?: number;
  readonly classWeight: ClassWeight;
  readonly trainRows: number;
  readonly validationRows: number;
  /** Whether the exported model was refitted on every row after validation. */
  readonly refit: boolean;
  /** Rows left out because their target was missing. */
  readonly droppedRows: number;
  readonly trainer: string;
}

/** Everything training produced. */
export interface TrainResult {
  /** The exported model: bytes of a `.onnx` file. */
  readonly onnx: Uint8Array;
  readonly schema: FeatureSchema;
  readonly pipeline: PipelineSpec;
  readonly task: Task;
  readonly algorithm: Algorithm;
  /** The chosen trainer's model fitted on the training rows, on the validation rows. */
  readonly metrics: Metrics;
  /** Every trainer tried, the chosen one included. */
  readonly candidates: readonly CandidateReport[];
  readonly lineage: Lineage;
  /** The fitted model in memory (the numbers the ONNX file holds). */
  readonly model: FittedModel;
  /** Every used row's parsed feature and target columns, for the reference profile. */
  readonly columns: { readonly features: readonly ParsedColumn[]; readonly target: TargetColumn };
  readonly ignoredColumns: readonly IgnoredColumn[];
  /** onnxruntime's outputs against the exported in-memory model's, on the validation rows. */
  readonly verification: { readonly rows: number; readonly maxAbsDifference: number };
  /**
   * The exported model's outputs on every used row, as the server would answer them: `value`, or
   * `label` and `probability_<label>` per class. With `columns`, the data of the reference profile.
   */
  readonly outputColumns: Readonly<Record<string, readonly (number | string)[]>>;
}

/** The trainer's name and version in lineage. */
const TRAINER = 'berth-native/1';
/** Largest data set that `refit: 'auto'` refits: beyond it, 25% more rows change little and cost a second fit. */
export const REFIT_AUTO_MAX_ROWS = 20_000;
/** Most columns a training table may have: wider tables take minutes per trainer and rarely help. */
export const MAX_COLUMNS = 5000;
/** Most folds `folds` may ask for: more cost a fit each and tell little more. */
export const MAX_FOLDS = 20;
/** Largest difference between ONNX and in-memory outputs tolerated (float32 arithmetic). */
const EXPORT_TOLERANCE = 1e-4;
/** Trains on a parsed CSV table; see {@link TrainResult}. */
export async function trainFromTable(table: CsvTable, options: TrainOptions): Promise<TrainResult> {
  const fraction = options.validationFraction ?? 0.2;
  if (!(fraction > 0 && fraction < 1)) throw Errors.TRAIN_OPTION_INVALID.create('validationFraction', `${fraction} is not between 0 and 1`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw Errors.TRAIN_OPTION_INVALID.create('seed', 'it must be a non-negative integer');
  const choice = options.algorithm ?? 'auto';
  if (!['auto', 'linear', 'gbdt'].includes(choice)) throw Errors.TRAIN_OPTION_INVALID.create('algorithm', `'${choice}' is not auto, linear or gbdt`);
  const classWeight = options.classWeight ?? 'none';
  if (!['none', 'balanced'].includes(classWeight)) throw Errors.TRAIN_OPTION_INVALID.create('classWeight', `'${classWeight}' is not none or balanced`);
  const task = options.task ?? 'auto';
  if (!['auto', 'classification', 'regression'].includes(task)) throw Errors.TRAIN_OPTION_INVALID.create('task', `'${task}' is not auto, classification or regression`);
  checkSettings(options);
  const folds = options.folds;
  if (folds !== undefined) {
    if (!(Number.isInteger(folds) && folds >= 2 && folds <= MAX_FOLDS)) throw Errors.TRAIN_OPTION_INVALID.create('folds', `${folds} is not an integer from 2 to ${MAX_FOLDS}`);
    if (options.validation) throw Errors.TRAIN_OPTION_INVALID.create('folds', 'cross-validation and a validation file exclude each other; give one of them');
  }
  if (table.header.length > MAX_COLUMNS) {
    throw Errors.TRAIN_CSV_INVALID.create(table.source, `it has ${table.header.length} columns; Berth trains on at most ${MAX_COLUMNS}. Select the features first`);
  }
  const report = progressReporter(options.onProgress);

  // With a validation file the two tables are read as one, its rows last; the split is then fixed.
  const source = options.validation ? appendValidation(table, options.validation) : { table, trainCount: table.rows.length };
  const all = source.table;
  report({ stage: 'infer', completed: 0, total: 1, message: `inferring the schema of ${all.rows.length} rows` }, 0.02);
  const inferred = inferSchema(all, {
    target: options.target,
    task,
    ...(options.missingValues ? { missingValues: options.missingValues } : {}),
    ...(options.maxCategories !== undefined ? { maxCategories: options.maxCategories } : {}),
  });
  const target = inferred.target;
  const schema: FeatureSchema = options.strict ? { ...inferred.schema, strict: true } : inferred.schema;
  if (classWeight !== 'none' && target.task !== 'classification') {
    throw Errors.TRAIN_OPTION_INVALID.create('classWeight', `class weights apply to classification, but '${target.name}' is learned as regression`);
  }
  const n = inferred.rows.length;
  if (n < 10) throw Errors.TRAIN_DATA_INSUFFICIENT.create(`${n} rows with a target value; at least 10 are needed`);
  if (folds !== undefined && n < 2 * folds) throw Errors.TRAIN_DATA_INSUFFICIENT.create(`${n} rows with a target value; ${folds}-fold cross-validation needs at least ${2 * folds}`);
  // Cross-validation judges models fitted on part of the rows; the one exported sees them all.
  const refit = folds !== undefined || (options.refit === 'auto' || options.refit === undefined ? n <= REFIT_AUTO_MAX_ROWS : options.refit);

  report({ stage: 'split', completed: 0, total: 1, message: folds !== undefined ? `splitting rows into ${folds} folds` : 'splitting train and validation rows' }, 0.05);
  const strata = target.task === 'classification' ? { strata: target.classes } : {};
  // Identical rows (same features and target) go to the same side, so none validates a model fitted on its copy.
  const contents = options.validation ? undefined : rowContents(inferred);
  const distinct = distinctContents(n, contents);
  if (folds !== undefined && distinct < 2 * folds) {
    throw Errors.TRAIN_DATA_INSUFFICIENT.create(`${distinct} different rows among ${n} (copies of a row share a fold); ${folds}-fold cross-validation needs at least ${2 * folds}`);
  }
  const splits = folds !== undefined ? foldSplits(n, { folds, seed, ...strata, ...(contents ? { contents } : {}) }) : undefined;
  // Under cross-validation `split` is the last fold's, whose rows check the export.
  const split = splits ? splits[splits.length - 1]! : options.validation ? fixedSplit(inferred.rows, source.trainCount, options.validation.source) : splitRows(n, { fraction, seed, ...strata, ...(contents ? { contents } : {}) });
  if (split.validation.length === 0) {
    throw Errors.TRAIN_DATA_INSUFFICIENT.create(`${n} rows, but ${target.task === 'classification' ? 'each class\'s rows are copies of one row' : 'all are copies of one row'}, and copies stay on one side, so none can be held out for validation`);
  }
  const everyRow = Uint32Array.from({ length: n }, (_, i) => i);
  const weights =
    classWeight === 'balanced' && target.task === 'classification' ? balancedWeights(target.classes, target.labels.length, splits ? everyRow : split.train) : undefined;
  // Feature values through the schema validator, exactly as a served request's are.
  const validator = new RowValidator(schema, { describeRow: (i) => describeLine(all, source.trainCount, inferred.rows[i]!, table.source, options.validation?.source) });
  const values: FeatureValue[][] = tableRecords(all, inferred.rows).map((record, i) => validator.validate(record, i));
  const encode = (pipeline: Pipeline, rows: Uint32Array): EncodedRows => ({
    x: pipeline.encodeValues(Array.from(rows, (r) => values[r]!)).data as Float32Array,
    rows,
  });
  const output: PipelineOutput =
    target.task === 'classification'
      ? { task: 'classification', target: target.name, tensor: 'probabilities', labels: [...target.labels] }
      : { task: 'regression', target: target.name, tensor: 'value' };
  const pipelineFor = (algorithm: Algorithm, rows: Uint32Array): Pipeline =>
    new Pipeline(schema, fitPipeline(schema, inferred.features, rows, { scale: algorithm === 'linear', categories: 'one-hot', output }));

  const algorithms: Algorithm[] = choice === 'auto' ? ['linear', 'gbdt'] : [choice];
  const share = (refit ? 0.7 : 0.85) / algorithms.length;
  const candidates: (CandidateFit & { pipeline: Pipeline; validation: EncodedRows })[] = [];
  for (const [index, algorithm] of algorithms.entries()) {
    const pipeline = pipelineFor(algorithm, split.train);
    const start = 0.1 + index * share;
    const onStep = (unit: string) => (completed: number, total: number) =>
      report({ stage: 'fit', algorithm, completed, total, message: `${algorithm}: ${completed}/${total}${unit}` }, start + (share * completed) / total);
    const validation = encode(pipeline, split.validation);
    const fitted = splits
      ? crossValidate(
          algorithm,
          {
            target,
            splits,
            rows: everyRow,
            weights,
            encoderFor: (rows) => {
              const foldPipeline = pipelineFor(algorithm, rows);
              return { width: foldPipeline.width, encode: (encoded) => encode(foldPipeline, encoded) };
            },
          },
          options,
          onStep(' folds'),
        )
      : fitCandidate(algorithm, { target, k: pipeline.width, train: encode(pipeline, split.train), validation, weights }, options, onStep(''));
    candidates.push({ ...fitted, pipeline, validation });
  }
  const chosen = candidates.reduce((a, b) => (betterMetrics(b.report.metrics, a.report.metrics) ? b : a));

  let { model, pipeline, validation } = chosen;
  if (refit) {
    report({ stage: 'refit', algorithm: chosen.report.algorithm, completed: 0, total: 1, message: `refitting ${chosen.report.method} on every row` }, 0.8);
    pipeline = pipelineFor(chosen.report.algorithm, everyRow);
    model = refitCandidate(chosen, target, pipeline.width, encode(pipeline, everyRow), options, weights);
    validation = encode(pipeline, split.validation);
  }

  report({ stage: 'export', completed: 0, total: 1, message: 'exporting to ONNX' }, 0.95);
  const spec = pipeline.spec;
  const onnx = exportOnnx(model, {
    input: spec.input,
    output: spec.output.tensor,
    metadata: { 'berth.trainer': TRAINER, 'berth.algorithm': chosen.report.method, 'berth.target': target.name },
  });

  report({ stage: 'verify', completed: 0, total: 1, message: 'checking the ONNX model in onnxruntime' }, 0.97);
  const { verification, outputColumns } = await checkExport(onnx, model, pipeline, validation.x, values);

  const lineage: Lineage = {
    data: { source: table.source, sha256: table.sha256, rows: table.rows.length, columns: [...table.header] },
    target: target.name,
    task: target.task,
    algorithm: chosen.report.algorithm,
    method: chosen.report.method,
    parameters: chosen.report.parameters,
    seed,
    validationFraction: options.validation || folds !== undefined ? null : fraction,
    ...(options.validation ? { validationSource: options.validation.source } : {}),
    ...(options.validation ? { validationData: { source: options.validation.source, sha256: options.validation.sha256, rows: options.validation.rows.length } } : {}),
    ...(folds !== undefined ? { folds } : {}),
    classWeight,
    // Under cross-validation every row trains and is validated on once.
    trainRows: splits ? n : split.train.length,
    validationRows: splits ? n : split.validation.length,
    refit,
    droppedRows: inferred.droppedRows,
    trainer: TRAINER,
  };
  report({ stage: 'done', completed: 1, total: 1, message: `chose ${chosen.report.method}` }, 1);
  return {
    onnx,
    schema,
    pipeline: spec,
    task: target.task,
    algorithm: chosen.report.algorithm,
    metrics: chosen.report.metrics,
    candidates: candidates.map((c) => c.report),
    lineage,
    model,
    columns: { features: inferred.features, target },
    ignoredColumns: inferred.ignored,
    verification,
    outputColumns,
  };
}

/**
 * Runs the exported model in onnxruntime: on the validation rows, to compare it with the
 * in-memory model (a difference beyond float32 rounding is a bug in the exporter, not a user
 * error, so it is thrown as a plain Error); and on every row through the pipeline, for the output
 * columns of the reference profile.
 */
async function checkExport(
  onnx: Uint8Array,
  model: FittedModel,
  pipeline: Pipeline,
  validationX: Float32Array,
  values: readonly (readonly FeatureValue[])[],
): Promise<{ verification: TrainResult['verification']; outputColumns: TrainResult['outputColumns'] }> {
  const session = await createSession(onnx, { intraOpThreads: 1 });
  const runner: TensorRunner = { run: (inputs, names) => runSession(session, inputs, names) };
  try {
    const rows = validationX.length / pipeline.width;
    const [output] = await runner.run([{ name: pipeline.spec.input, datatype: 'FP32', shape: [rows, pipeline.width], data: validationX }], pipeline.outputNames);
    const expected = predictOutputs(model, validationX, rows);
    const got = output!.data as Float32Array;
    if (got.length !== rows * outputWidth(model)) throw new Error(`exported model returned ${got.length} values for ${rows} rows`);
    let max = 0;
    for (let i = 0; i < got.length; i++) max = Math.max(max, Math.abs(got[i]! - expected[i]!));
    if (!(max <= EXPORT_TOLERANCE * Math.max(1, maxAbs(expected)))) {
      throw new Error(`the exported ONNX model differs from the trained model by ${max}; this is a bug in Berth's exporter`);
    }
    const predictions = pipeline.decode(await runner.run([pipeline.encodeValues(values)], pipeline.outputNames), values.length);
    return { verification: { rows, maxAbsDifference: max }, outputColumns: outputColumnsOf(pipeline.spec, predictions) };
  } finally {
    await session.release();
  }
}

/** Predictions as columns: `value`, or `label` and `probability_<label>` per class. */
function outputColumnsOf(spec: PipelineSpec, predictions: readonly Prediction[]): Record<string, (number | string)[]> {
  const output = spec.output;
  if (output.task === 'regression') return { value: predictions.map((p) => ('value' in p ? p.value : NaN)) };
  const columns: Record<string, (number | string)[]> = { label: predictions.map((p) => ('label' in p ? p.label : '')) };
  for (const label of output.labels) columns[`probability_${label}`] = predictions.map((p) => ('probabilities' in p ? p.probabilities[label]! : NaN));
  return columns;
}

/** The training table with the validation table's rows appended, its columns in the training file's order. */
function appendValidation(table: CsvTable, validation: CsvTable): { table: CsvTable; trainCount: number } {
  const positions = table.header.map((name) => validation.header.indexOf(name));
  const missing = table.header.filter((_, c) => positions[c]! < 0);
  if (missing.length) {
    throw Errors.TRAIN_CSV_INVALID.create(validation.source, `as the validation file it needs every column of ${table.source}, but it lacks ${missing.map((m) => `'${m}'`).join(', ')}`);
  }
  if (validation.rows.length === 0) throw Errors.TRAIN_CSV_INVALID.create(validation.source, 'as the validation file it needs rows, but it has none');
  const rows = [...table.rows, ...validation.rows.map((row) => positions.map((p) => row[p]!))];
  const lines = [...table.rows.map((_, i) => rowLine(table, i)), ...validation.rows.map((_, i) => rowLine(validation, i))];
  return { table: { ...table, rows, lines }, trainCount: table.rows.length };
}

/** Training rows are the first file's, validation rows the validation file's (indices into the used rows). */
function fixedSplit(used: Uint32Array, trainCount: number, validationSource: string): RowSplit {
  const train: number[] = [];
  const validation: number[] = [];
  used.forEach((row, i) => (row < trainCount ? train : validation).push(i));
  if (validation.length === 0) throw Errors.TRAIN_DATA_INSUFFICIENT.create(`${validationSource} has no row with a target value to validate on`);
  if (train.length < 10) throw Errors.TRAIN_DATA_INSUFFICIENT.create(`${train.length} training rows with a target value; at least 10 are needed`);
  return { train: Uint32Array.from(train), validation: Uint32Array.from(validation) };
}

/** Names a row of the (possibly combined) table by its file and line. */
function describeLine(all: CsvTable, trainCount: number, row: number, source: string, validationSource: string | undefined): string {
  return `${row < trainCount || validationSource === undefined ? source : validationSource} line ${rowLine(all, row)}`;
}

/** scikit-learn's balanced class weights, from the training rows: rows / (classes × rows of the class), per row. */
function balancedWeights(classes: Int32Array, labels: number, trainRows: Uint32Array): Float64Array {
  const counts = new Float64Array(labels);
  for (const r of trainRows) counts[classes[r]!]!++;
  const present = counts.filter((c) => c > 0).length;
  const perClass = Array.from(counts, (c) => (c > 0 ? trainRows.length / (present * c) : 0));
  return Float64Array.from(classes, (c) => perClass[c]!);
}

/** Refuses hyperparameters the trainers cannot work with. */
function checkSettings(options: TrainOptions): void {
  const refuse = (name: string, reason: string): never => {
    throw Errors.TRAIN_OPTION_INVALID.create(name, reason);
  };
  const positive = (name: string, value: number | undefined): void => {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) refuse(name, `${value} is not a positive number`);
  };
  const integer = (name: string, value: number | undefined, min: number, max = Infinity): void => {
    if (value !== undefined && !(Number.isInteger(value) && value >= min && value <= max)) refuse(name, `${value} is not an integer from ${min} to ${max}`);
  };
  const gbdt = options.gbdt ?? {};
  positive('gbdt.learningRate', gbdt.learningRate);
  integer('gbdt.maxIterations', gbdt.maxIterations, 1);
  integer('gbdt.maxLeafNodes', gbdt.maxLeafNodes, 2);
  integer('gbdt.minSamplesLeaf', gbdt.minSamplesLeaf, 1);
  integer('gbdt.patience', gbdt.patience, 1);
  integer('gbdt.maxBins', gbdt.maxBins, 2, 255);
  integer('gbdt.maxDepth', gbdt.maxDepth, 1);
  if (gbdt.l2Regularization !== undefined && !(gbdt.l2Regularization >= 0)) refuse('gbdt.l2Regularization', 'it must be zero or more');
  if (options.linearPenalties?.length === 0) refuse('linearPenalties', 'the list is empty');
  for (const p of options.linearPenalties ?? []) positive('linearPenalties', p);
}

function maxAbs(values: Float64Array): number {
  let m = 0;
  for (const v of values) m = Math.max(m, Math.abs(v));
  return m;
}

function progressReporter(onProgress: TrainOptions['onProgress']): (p: Omit<TrainProgress, 'fraction'>, fraction: number) => void {
  let last = 0;
  return (p, fraction) => {
    last = Math.max(last, Math.min(1, fraction));
    onProgress?.({ ...p, fraction: last });
  };
}
