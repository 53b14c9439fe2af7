/**
 * The monitor: its statistics (mergeable sketches of features and outputs, reference profiles,
 * drift statistics in raw-sample versions that match scipy and sketch versions the live monitor
 * uses, the drift report; pure functions and small accumulators, no I/O) and the monitoring
 * service over them (recording predictions into windows, the prediction log, feedback and
 * performance, reports over a time range, alert rules and notifications; over the store).
 */
export { buildProfile, type BuildProfileOptions, PROFILE_KLL_K, PROFILE_MAX_CATEGORIES, PROFILE_QUANTILES } from './build-profile.js';
export {
  eventFromFailure,
  eventFromRecordReader,
  eventFromRecords,
  eventFromTensors,
  LARGE_EVENT_ROWS,
  MAX_TENSOR_COLUMNS,
  type RecordRows,
  type RequestFacts,
  selectionLength,
  tensorColumns,
  tensorColumnsAt,
  tensorFeatures,
  tensorRows,
  tensorRowsAt,
} from './build-prediction-event.js';
export {
  alignCategories,
  type AlignedCategories,
  CategoricalSketch,
  type CategoricalSketchData,
  type CategoricalSketchOptions,
  DEFAULT_MAX_CATEGORIES,
  mergeCategoricalSketches,
  unseenCategories,
  type UnseenCategories,
} from './categorical-sketch.js';
export { chisquare, type ChiSquareOptions, type ChiSquareResult, chisquareSketch } from './chisquare.js';
export { binNumeric, binNumericSketches, type BinnedProportions, sketchProportions } from './drift-bins.js';
export { DEFAULT_THRESHOLDS, defaultMethod, DRIFT_METHODS, type DriftMethod, isPValueMethod, methodApplies } from './drift-method.js';
export {
  driftReport,
  type DriftReport,
  type DriftReportOptions,
  type DriftSummary,
  type FeatureDrift,
  type FeatureDriftStatus,
} from './drift-report.js';
export { createSketch, mergeSketchData, type SketchData, type SketchOptions } from './feature-sketch.js';
export { featureDrift, type FeatureDriftOptions, type FeatureDriftStatistic } from './feature-drift.js';
export { type FeatureKind, type FeatureSpec, type MonitorSchema } from './feature-spec.js';
export { monitorSchemaFor } from './monitor-schema-for.js';
export { jensenshannon, jensenshannonNumeric, jensenshannonSketch } from './jensenshannon.js';
export { DEFAULT_KLL_K, KllSketch, type KllSketchData } from './kll-sketch.js';
export { kolmogorovSf, smirnovSf } from './kolmogorov-distribution.js';
export { type KsPValue, type KsPValueMethod, ksPValue } from './ks-p-value.js';
export { ks, type KsOptions, type KsResult, ksSketch } from './ks.js';
export { adjustPValues, type PValueCorrection } from './multiple-testing.js';
export {
  DISTINCT_VALUES_CAP,
  mergeNumericSketches,
  NumericSketch,
  type NumericSketchData,
  type NumericSketchOptions,
  numericVariance,
} from './numeric-sketch.js';
export { type CategoricalFeatureProfile, type FeatureProfile, type NumericFeatureProfile, type Profile, PROFILE_FORMAT_VERSION } from './profile.js';
export { psi, psiNumeric, psiSketch } from './psi.js';
export { chiSquareSf, regularizedGammaP, regularizedGammaQ } from './regularized-gamma.js';
export { emptyWindow, mergeWindows, WindowSketches, type WindowSketchesData } from './window-sketches.js';
export { asCalibration, calibrate, type Calibration, CALIBRATION_BINS, type ClassCalibration, fitCalibration } from './calibration.js';
export { type EstimatedPerformance, estimatePerformance } from './estimated-performance.js';
export { mergeScoreHistograms, SCORE_BINS, ScoreHistograms, type ScoreHistogramsData, type SparseHistogram } from './score-histograms.js';
export { mergeOutlierCounts, OutlierCounts, type OutlierCountsData, outlierSummary, type OutlierSummary } from './outlier-counts.js';
export { type OutlierCheck, OUTLIER_QUANTILES, type OutlierReference, outlierReferenceOf } from './outlier-reference.js';
export { wasserstein, wassersteinDistance, wassersteinSketch } from './wasserstein.js';
export { type AlertEvaluator, type AlertRecord, type AlertTransition } from './alert-evaluator.js';
export { type AlertNotification, type AlertNotifier, WebhookNotifier, type WebhookNotifierOptions } from './alert-notifier.js';
export { type AlertRuleRecord, AlertRuleStore } from './alert-rule-store.js';
export { ColumnCatalog, inferKind } from './column-catalog.js';
export { compareDatasets, type CompareDatasetsOptions, type DatasetComparison } from './compare-datasets.js';
export {
  type FeedbackItem,
  type FeedbackResult,
  type FeedbackStores,
  type FeedbackValue,
  type JoinedFeedback,
  parseFeedback,
  readJoinedFeedback,
  recordFeedback,
  rematchFeedback,
} from './feedback.js';
export { CloudEventSink, type CloudEventSinkOptions, EVENT_TYPE, type PayloadCloudEvent, type SinkCounts } from './cloud-event-sink.js';
export { type LabelledRange, type LabelledRow, type LabelledRowSource } from './labelled-rows.js';
export { type LabelledRowStores, payloadLabelledRows } from './payload-labelled-rows.js';
export { payloadColumns, type PayloadRow, payloadRows, type PayloadRowsOptions } from './payload-export.js';
export {
  DEFAULT_PAYLOAD_SINCE,
  PAYLOAD_EXPORT_FORMATS,
  PAYLOAD_EXPORT_MEDIA_TYPES,
  type PayloadExport,
  payloadExport,
  type PayloadExportCounts,
  type PayloadExportFormat,
  type PayloadExportOptions,
  type PayloadExportQuery,
  payloadExportQuery,
  type PayloadExportRequest,
} from './payload-export-stream.js';
export { type FoundEntry, ID_CLOCK_TOLERANCE_MS, pruneSegments, readLogged, SEGMENT_SPAN_MS, SegmentLog, SegmentReaders, type SegmentStores } from './log-segments.js';
export { IntervalTasks } from './interval-tasks.js';
export { LiveWindow } from './live-window.js';
export { MonitorAlerts, type MonitorAlertsOptions } from './monitor-alerts.js';
export {
  type DriftHistoryPoint,
  type LiveWindows,
  type LiveWindowSnapshot,
  type LoggedRequest,
  type MonitorDriftReport,
  MonitorReports,
  type MonitorReportsOptions,
  type PerformancePoint,
  type PerformanceReport,
  type ReportQuery,
  type TrafficPoint,
} from './monitor-reports.js';
export { modelMonitorSummary, type ModelMonitorSummary, SUMMARY_DRIFT_RANGE, SUMMARY_TRAFFIC_RANGE } from './model-summary.js';
export { pruneMonitorData, type RetentionSettings } from './monitor-retention.js';
export { type MonitorLogger, MonitorService, type MonitorServiceOptions } from './monitor-service.js';
export { emptyMonitorWindow, mergeMonitorWindows, type MonitorWindowData, MonitorWindowMerger } from './monitor-window.js';
export { binaryAuc, type ClassificationPerformance, classificationPerformance, type RegressionPerformance, regressionPerformance } from './performance-metrics.js';
export { performanceOf, performanceTask, type PerformanceTask, trainingMetrics } from './performance-report.js';
export {
  type ColumnParts,
  type Columns,
  type EventColumns,
  type PredictionEvent,
  type PredictionOutcome,
  type PredictionProtocol,
  type RowColumns,
  type RowSelection,
} from './prediction-event.js';
export { BATCH_ENTRIES, type DroppedEntries, PredictionLog, type PredictionLogOptions } from './prediction-log.js';
export { PredictionLogWriter, type PredictionLogStores } from './prediction-log-writer.js';
export {
  asProfile,
  monitorSchemaFromManifest,
  monitorSchemaOf,
  type ReferenceSource,
  referenceFromManifest,
  type VersionReference,
} from './reference-source.js';
export { sketchQuantiles } from './sketch-quantile.js';
export { parseInstant, parseStep, parseTimeRange, steps, type TimeRange } from './time-range.js';
export { WindowRecorder, type WindowRecorderOptions } from './window-recorder.js';
export { OPEN_WINDOW_RESERVE_BYTES } from './window-footprint.js';
export { forEachWindow, readWindowCounts, type StoredWindow, type StoredWindowCounts, type WindowToStore, writeWindows } from './window-store.js';
export { type FiguresOf, versionFigures, type VersionFigures } from './version-figures.js';
export { ComparisonWindow, comparisonReport, DIFFERENCE_QUANTILES, MAX_COMPARED_ELEMENTS, type ShadowComparisonReport } from './shadow-comparison.js';
export { ShadowComparisons, type ShadowComparisonsOptions } from './shadow-comparisons.js';
