/**
 * The public API of the train layer: training from CSV, batch scoring, and the pieces the CLI,
 * registry and monitor need to read the results.
 */
export { type CsvTable, parseCsv, readCsvFile, rowLine, selectRows, tableRecords } from './csv-table.js';
export { type IgnoredColumn, type ParsedColumn, type TargetColumn, type Task, columnValues, inferSchema, sortLabels } from './infer-schema.js';
export { type FoldOptions, type RowSplit, type SplitOptions, distinctContents, foldSplits, rowContents, splitRows } from './split-rows.js';
export { type ClassificationMetrics, type Metrics, type RegressionMetrics, classificationMetrics, regressionMetrics } from './metrics.js';
export { type DecisionTree, type FittedModel, type LinearModel, type TreeEnsembleModel, predictOutputs } from './fitted-model.js';
export { DEFAULT_GBDT_PARAMETERS, type GbdtParameters, fitGbdt } from './gbdt.js';
export { exportOnnx } from './export-onnx.js';
export { type Algorithm, type AlgorithmChoice, type CandidateReport } from './candidate-report.js';
export {
  type ClassWeight,
  type Lineage,
  type TrainOptions,
  type TrainProgress,
  type TrainResult,
  MAX_FOLDS,
  REFIT_AUTO_MAX_ROWS,
  trainFromTable,
} from './train-model.js';
export { type CsvSource, type TrainFromCsvOptions, type TrainFromCsvResult, trainFromCsv } from './train-from-csv.js';
export { type ScoreRowsOptions, scoreRows } from './score-rows.js';
