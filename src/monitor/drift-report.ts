/**
 * The drift report: every feature of a reference profile compared with the sketches of a current
 * window, by Evidently's default method per feature (or one chosen for all), with p-values
 * corrected for testing many features at once, and the dataset judged drifted when a large enough
 * share of its features is.
 *
 * Answers for the cases that break other monitors (never NaN, never a crash):
 * - a category seen only in production is a column of its own (its reference count is 0), and is
 *   listed in `unseenCategories`;
 * - an empty window, or a feature with no values on one side: status 'no-current-data' or
 *   'no-reference-data', statistic 0, not drifted, left out of the drifted share;
 * - a constant feature: KS and chi-square give 0 and p = 1 when both sides hold the same constant;
 *   Wasserstein scales by the current spread, or reports 1 when two constants differ;
 * - a single category: chi-square has no degree of freedom, statistic 0, p = 1;
 * - very large samples, where every test is significant: a test flags drift only when its effect
 *   size also reaches `minEffect` (KS statistic, Cramér's V; 0.1 by default).
 */
import { Errors } from '../core/errors.js';
import { alignCategories, type CategoricalSketchData, unseenCategories, type UnseenCategories } from './categorical-sketch.js';
import {
  DEFAULT_THRESHOLDS,
  defaultMethod,
  DRIFT_METHODS,
  type DriftMethod,
  isPValueMethod,
  methodApplies,
} from './drift-method.js';
import { binNumericSketches, toProportions } from './drift-bins.js';
import { type SketchData } from './feature-sketch.js';
import { featureDrift } from './feature-drift.js';
import { type FeatureKind } from './feature-spec.js';
import { type KsPValueMethod } from './ks-p-value.js';
import { adjustPValues, P_VALUE_CORRECTIONS, type PValueCorrection } from './multiple-testing.js';
import { type NumericSketchData } from './numeric-sketch.js';
import { type FeatureProfile, type Profile, PROFILE_FORMAT_VERSION } from './profile.js';
import { sampledRowsOf, type WindowSketchesData } from './window-sketches.js';

/** Options of a drift report; every field has a default. */
export interface DriftReportOptions {
  /** One method for every feature it applies to; the others keep their default. */
  readonly method?: DriftMethod;
  /** Thresholds per method: p-value for ks and chisquare (0.05), statistic for the others (0.1). */
  readonly thresholds?: Partial<Readonly<Record<DriftMethod, number>>>;
  /** Smallest effect a significant test must also show to flag drift (default 0.1 each). */
  readonly minEffect?: Partial<Readonly<Record<'ks' | 'chisquare', number>>>;
  /** Correction of the p-values of the features tested (default 'benjamini-hochberg'). */
  readonly correction?: PValueCorrection;
  /** The dataset drifts when at least this share of assessed features drifts (default 0.5). */
  readonly datasetDriftShare?: number;
  /** KS p-value method (default 'auto', as scipy). */
  readonly ksMethod?: KsPValueMethod;
  /** Compare only these features (outputs are always compared); an unknown name is refused. */
  readonly columns?: readonly string[];
  /** Leave these features out; an unknown name is refused. */
  readonly exclude?: readonly string[];
}

/** Why a feature was or was not compared. */
export type FeatureDriftStatus = 'ok' | 'no-reference-data' | 'no-current-data';

/** One feature's (or output's) line of the report. */
export interface FeatureDrift {
  readonly name: string;
  readonly kind: FeatureKind;
  readonly method: DriftMethod;
  readonly statistic: number;
  /** Raw p-value of ks and chisquare; null for distances. */
  readonly pValue: number | null;
  /** p-value after the multiple-testing correction; null for distances. */
  readonly adjustedPValue: number | null;
  /** KS statistic or Cramér's V for tests; null for distances. */
  readonly effectSize: number | null;
  readonly threshold: number;
  readonly drifted: boolean;
  readonly status: FeatureDriftStatus;
  /** Values compared (missing and invalid left out). */
  readonly rows: { readonly reference: number; readonly current: number };
  readonly missing: { readonly reference: number; readonly current: number };
  readonly invalid: { readonly reference: number; readonly current: number };
  /** Categorical features: categories of the current window absent from the reference. */
  readonly unseenCategories?: UnseenCategories;
  /**
   * The two distributions compared, as proportions per bin, for charts: Evidently's bins for
   * numbers (`edges` of equal-width bins, or `values` when each bin is one value), one bin per
   * category otherwise. Present when both sides have data.
   */
  readonly bins?: FeatureBins;
}

/** Proportions of the reference and the current data per bin (see {@link FeatureDrift.bins}). */
export interface FeatureBins {
  readonly edges?: readonly number[];
  readonly values?: readonly (number | string)[];
  readonly reference: readonly number[];
  readonly current: readonly number[];
}

/** Drift of a family of columns (the outputs, for prediction drift). */
export interface DriftSummary {
  readonly features: readonly FeatureDrift[];
  readonly driftedShare: number;
  readonly drifted: boolean;
}

/** The drift report (the server adds model, version and the time range). */
export interface DriftReport {
  /** Rows in the current window. */
  readonly rows: number;
  /** Rows of the current window its sketches hold: `rows`, or fewer when large requests were sampled. */
  readonly rowsSampled: number;
  readonly reference: { readonly rows: number };
  readonly features: readonly FeatureDrift[];
  /** Drift of the model's outputs; null when neither the profile nor the window has outputs. */
  readonly predictionDrift: DriftSummary | null;
  /** Share of assessed features that drifted (0 when none could be assessed). */
  readonly driftedShare: number;
  readonly datasetDrift: boolean;
  /** The settings used, so a stored report explains itself. */
  readonly settings: {
    readonly correction: PValueCorrection;
    readonly datasetDriftShare: number;
    readonly thresholds: Readonly<Record<DriftMethod, number>>;
    readonly minEffect: Readonly<Record<'ks' | 'chisquare', number>>;
  };
}

interface Settings {
  readonly method: DriftMethod | undefined;
  readonly thresholds: Readonly<Record<DriftMethod, number>>;
  readonly minEffect: Readonly<Record<'ks' | 'chisquare', number>>;
  readonly correction: PValueCorrection;
  readonly datasetDriftShare: number;
  readonly ksMethod: KsPValueMethod;
}

/**
 * Compares a current window with a reference profile. Throws BERTH_MONITOR_OPTION_INVALID for bad
 * options and BERTH_MONITOR_DATA_INVALID when the profile's format is unknown or a feature's kind
 * differs between the profile and the window.
 *
 * @example
 *   const report = driftReport(bundle.profile, mergeWindows(windowsOfTheDay), { correction: 'bonferroni' });
 */
export function driftReport(reference: Profile, current: WindowSketchesData, options: DriftReportOptions = {}): DriftReport {
  const settings = validateOptions(options);
  if (reference.formatVersion !== PROFILE_FORMAT_VERSION) {
    throw Errors.MONITOR_DATA_INVALID.create('The reference profile', `its format version ${String(reference.formatVersion)} is not ${PROFILE_FORMAT_VERSION}`);
  }
  const chosen = chooseFeatures(reference.features, current.features, options);
  const features = compareFamily(
    reference.features.filter((f) => chosen(f.name)),
    Object.fromEntries(Object.entries(current.features).filter(([name]) => chosen(name))),
    settings,
  );
  const hasOutputs = reference.outputs.length > 0 || Object.keys(current.outputs ?? {}).length > 0;
  const outputs = hasOutputs ? compareFamily(reference.outputs, current.outputs ?? {}, settings) : null;
  const share = driftedShare(features);
  return {
    rows: current.rows,
    rowsSampled: sampledRowsOf(current),
    reference: { rows: reference.rows },
    features,
    predictionDrift: outputs === null ? null : { features: outputs, driftedShare: driftedShare(outputs), drifted: outputs.some((f) => f.drifted) },
    driftedShare: share,
    datasetDrift: features.some((f) => f.status === 'ok') && share >= settings.datasetDriftShare,
    settings: { correction: settings.correction, datasetDriftShare: settings.datasetDriftShare, thresholds: settings.thresholds, minEffect: settings.minEffect },
  };
}

/**
 * The features `columns` and `exclude` keep. Throws BERTH_MONITOR_OPTION_INVALID naming a column
 * neither side has, so a typo does not pass for "no drift".
 */
function chooseFeatures(
  profiles: readonly FeatureProfile[],
  sketches: Readonly<Record<string, SketchData>>,
  options: Pick<DriftReportOptions, 'columns' | 'exclude'>,
): (name: string) => boolean {
  const known = new Set([...profiles.map((f) => f.name), ...Object.keys(sketches)]);
  for (const [option, names] of [['columns', options.columns], ['exclude', options.exclude]] as const) {
    const unknown = (names ?? []).filter((name) => !known.has(name));
    if (unknown.length) {
      const list = [...known].sort();
      throw Errors.MONITOR_OPTION_INVALID.create(
        option,
        `${unknown.map((n) => `'${n}'`).join(', ')} ${unknown.length === 1 ? 'is not a column' : 'are not columns'} of the report; the columns are ${list.slice(0, 30).join(', ')}${list.length > 30 ? ', …' : ''}`,
      );
    }
  }
  const only = options.columns?.length ? new Set(options.columns) : undefined;
  const excluded = new Set(options.exclude ?? []);
  return (name) => (only === undefined || only.has(name)) && !excluded.has(name);
}

type Draft = Omit<FeatureDrift, 'adjustedPValue' | 'drifted'>;

function compareFamily(profiles: readonly FeatureProfile[], sketches: Readonly<Record<string, SketchData>>, settings: Settings): FeatureDrift[] {
  const drafts: Draft[] = [];
  const profiled = new Set<string>();
  for (const profile of profiles) {
    profiled.add(profile.name);
    const sketch = Object.hasOwn(sketches, profile.name) ? sketches[profile.name] : undefined;
    drafts.push(compareFeature(profile.name, profile.sketch, sketch, settings));
  }
  for (const [name, sketch] of Object.entries(sketches)) {
    if (!profiled.has(name)) drafts.push(compareFeature(name, undefined, sketch, settings));
  }
  // Correct the p-values of the features actually tested, then judge every feature.
  const tested = drafts.filter((d) => d.status === 'ok' && d.pValue !== null);
  const adjustedValues = adjustPValues(tested.map((t) => t.pValue!), settings.correction);
  const adjusted = new Map(tested.map((d, i) => [d, adjustedValues[i]!]));
  return drafts.map((draft) => {
    const adjustedPValue = draft.pValue === null ? null : (adjusted.get(draft) ?? draft.pValue);
    return { ...draft, adjustedPValue, drifted: judge(draft, adjustedPValue, settings) };
  });
}

function judge(draft: Draft, adjustedPValue: number | null, settings: Settings): boolean {
  if (draft.status !== 'ok') return false;
  if (isPValueMethod(draft.method)) {
    return adjustedPValue !== null && adjustedPValue < draft.threshold && (draft.effectSize ?? 0) >= settings.minEffect[draft.method];
  }
  return draft.statistic >= draft.threshold;
}

function compareFeature(name: string, reference: SketchData | undefined, current: SketchData | undefined, settings: Settings): Draft {
  if (reference !== undefined && current !== undefined && reference.kind !== current.kind) {
    throw Errors.MONITOR_DATA_INVALID.create(`Feature '${name}'`, `it is ${reference.kind} in the reference profile but ${current.kind} in the window`);
  }
  const kind: FeatureKind = (reference ?? current)!.kind;
  const referenceRows = reference?.n ?? 0;
  const currentRows = current?.n ?? 0;
  const distinct = distinctValues(reference, current);
  const method = settings.method !== undefined && methodApplies(settings.method, kind, distinct) ? settings.method : defaultMethod(kind, referenceRows, distinct);
  const status: FeatureDriftStatus = referenceRows === 0 ? 'no-reference-data' : currentRows === 0 ? 'no-current-data' : 'ok';
  const stat =
    status === 'ok'
      ? featureDrift(reference!, current!, method, { ksMethod: settings.ksMethod })
      : { statistic: 0, pValue: isPValueMethod(method) ? 1 : null, effectSize: isPValueMethod(method) ? 0 : null };
  const draft: Draft = {
    name,
    kind,
    method,
    statistic: finite(stat.statistic),
    pValue: stat.pValue === null ? null : finite(stat.pValue, 1),
    effectSize: stat.effectSize === null ? null : finite(stat.effectSize),
    threshold: settings.thresholds[method],
    status,
    rows: { reference: referenceRows, current: currentRows },
    missing: { reference: reference?.missing ?? 0, current: current?.missing ?? 0 },
    invalid: { reference: reference?.invalid ?? 0, current: current?.invalid ?? 0 },
  };
  if (status !== 'ok') return draft;
  if (kind === 'categorical') {
    const aligned = alignCategories(reference as CategoricalSketchData, current as CategoricalSketchData);
    return {
      ...draft,
      unseenCategories: unseenCategories(reference as CategoricalSketchData, current as CategoricalSketchData),
      bins: { values: aligned.categories, reference: toProportions(aligned.reference), current: toProportions(aligned.current) },
    };
  }
  const binned = binNumericSketches(reference as NumericSketchData, current as NumericSketchData);
  return { ...draft, bins: { ...binned, reference: [...binned.reference], current: [...binned.current] } };
}

/** Distinct values on both sides together; Infinity when more than the sketches count. */
function distinctValues(reference: SketchData | undefined, current: SketchData | undefined): number {
  const sides = [reference, current].filter((s): s is SketchData => s !== undefined);
  if (sides.every((s) => s.kind === 'categorical')) {
    if (sides.length === 2) return alignCategories(sides[0] as CategoricalSketchData, sides[1] as CategoricalSketchData).categories.length;
    const only = sides[0] as CategoricalSketchData;
    return only.categories.length + (only.other > 0 ? 1 : 0);
  }
  const values = new Set<number>();
  for (const side of sides as NumericSketchData[]) {
    if (side.distinct === null) return Infinity;
    for (const [v] of side.distinct) values.add(v);
  }
  return values.size;
}

function driftedShare(features: readonly FeatureDrift[]): number {
  const assessed = features.filter((f) => f.status === 'ok');
  return assessed.length === 0 ? 0 : assessed.filter((f) => f.drifted).length / assessed.length;
}

/** A finite number for JSON: NaN becomes `fallback`, infinities the largest double. */
function finite(x: number, fallback = 0): number {
  if (Number.isNaN(x)) return fallback;
  if (x === Infinity) return Number.MAX_VALUE;
  if (x === -Infinity) return -Number.MAX_VALUE;
  return x;
}

function validateOptions(options: DriftReportOptions): Settings {
  if (options.method !== undefined && !DRIFT_METHODS.includes(options.method)) {
    throw Errors.MONITOR_OPTION_INVALID.create('method', `'${String(options.method)}' is not one of ${DRIFT_METHODS.join(', ')}`);
  }
  const thresholds = { ...DEFAULT_THRESHOLDS };
  for (const [method, value] of Object.entries(options.thresholds ?? {})) {
    if (!DRIFT_METHODS.includes(method as DriftMethod)) throw Errors.MONITOR_OPTION_INVALID.create('thresholds', `'${method}' is not a method`);
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value) || (isPValueMethod(method as DriftMethod) && value > 1)) {
      throw Errors.MONITOR_OPTION_INVALID.create(`thresholds.${method}`, `${String(value)} is not a positive number${isPValueMethod(method as DriftMethod) ? ' up to 1' : ''}`);
    }
    thresholds[method as DriftMethod] = value;
  }
  const minEffect = { ks: 0.1, chisquare: 0.1 };
  for (const [method, value] of Object.entries(options.minEffect ?? {})) {
    if (method !== 'ks' && method !== 'chisquare') throw Errors.MONITOR_OPTION_INVALID.create('minEffect', `'${method}' is not ks or chisquare`);
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw Errors.MONITOR_OPTION_INVALID.create(`minEffect.${method}`, `${String(value)} is not in [0, 1]`);
    minEffect[method] = value;
  }
  const correction = options.correction ?? 'benjamini-hochberg';
  if (!P_VALUE_CORRECTIONS.includes(correction)) {
    throw Errors.MONITOR_OPTION_INVALID.create('correction', `'${String(correction)}' is not one of ${P_VALUE_CORRECTIONS.join(', ')}`);
  }
  const datasetDriftShare = options.datasetDriftShare ?? 0.5;
  if (typeof datasetDriftShare !== 'number' || !(datasetDriftShare > 0 && datasetDriftShare <= 1)) {
    throw Errors.MONITOR_OPTION_INVALID.create('datasetDriftShare', `${String(datasetDriftShare)} is not in (0, 1]`);
  }
  const ksMethod = options.ksMethod ?? 'auto';
  if (!['auto', 'exact', 'asymp'].includes(ksMethod)) throw Errors.MONITOR_OPTION_INVALID.create('ksMethod', `'${String(ksMethod)}' is not auto, exact or asymp`);
  return { method: options.method, thresholds, minEffect, correction, datasetDriftShare, ksMethod };
}
