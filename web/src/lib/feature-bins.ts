/**
 * The reference and current distributions of one feature, as proportions per bin, for drawing
 * side by side. The reference comes from the version's profile (its histogram or category
 * frequencies); the current side from what the server offers, best first: bins it computed
 * itself, the window's sketch in the drift report, or values from the sampled request log.
 */
import type { FeatureBins, FeatureDrift, FeatureProfile, SketchData } from '../api/api-types.js';
import { formatNumber } from './format.js';

/** One bar pair: the share of reference and current values in a bin. */
export interface Bin {
  readonly label: string;
  readonly reference: number;
  readonly current: number;
}

/** Where the current side came from, said beside the chart. */
export type CurrentSource = 'server' | 'sketch' | 'sample' | 'none';

/** A feature's bins and where the current side came from. */
export interface FeatureDistribution {
  readonly bins: readonly Bin[];
  readonly source: CurrentSource;
}

/** Most bars drawn for a categorical feature; the rest are summed into "other". */
export const MAX_CATEGORY_BINS = 10;

/** Values with weights: a sample (weight 1 each), exact counts, or a quantile sketch's items. */
interface Weighted {
  readonly values: readonly number[];
  readonly weights: readonly number[];
}

/**
 * The distribution of `drift`'s feature: reference from `profile`, current from `drift.bins`,
 * `drift.current` (a sketch) or `sample` (raw values from logged requests), in that order.
 */
export function featureDistribution(drift: FeatureDrift, profile: FeatureProfile | undefined, sample: readonly unknown[] = []): FeatureDistribution {
  if (drift.bins) return { bins: serverBins(drift.bins), source: 'server' };
  const source: CurrentSource = drift.current ? 'sketch' : sample.length > 0 ? 'sample' : 'none';
  const kind = profile?.kind ?? drift.kind;
  if (kind === 'categorical') {
    const reference = profile?.kind === 'categorical' ? [...profile.frequencies, ...(profile.other ? [['other', profile.other] as const] : [])] : [];
    const current = drift.current?.kind === 'categorical' ? categoriesOfSketch(drift.current) : countCategories(sample);
    return { bins: categoryBins(reference, current), source };
  }
  const current = drift.current?.kind === 'numeric' ? weightedOfSketch(drift.current) : weightedOfSample(sample);
  if (profile?.kind === 'numeric' && profile.histogram && profile.histogram.edges.length >= 2) {
    return { bins: numericBins(profile.histogram.edges, profile.histogram.counts, current), source };
  }
  return { bins: [], source };
}

function serverBins(bins: FeatureBins): Bin[] {
  const label = (i: number): string => {
    if (bins.values) return String(bins.values[i] ?? i);
    if (bins.edges && bins.edges.length > i + 1) return rangeLabel(bins.edges[i]!, bins.edges[i + 1]!);
    return String(i + 1);
  };
  return bins.reference.map((reference, i) => ({ label: label(i), reference, current: bins.current[i] ?? 0 }));
}

function rangeLabel(low: number, high: number): string {
  return `${formatNumber(low)}–${formatNumber(high)}`;
}

/**
 * Reference histogram bins with the current values counted into the same edges; current values
 * outside the reference range get a bar of their own on either side, since that is where drift
 * shows most plainly.
 */
export function numericBins(edges: readonly number[], counts: readonly number[], current: Weighted): Bin[] {
  const low = edges[0]!;
  const high = edges[edges.length - 1]!;
  const inner = new Array<number>(edges.length - 1).fill(0);
  let below = 0;
  let above = 0;
  let total = 0;
  current.values.forEach((value, i) => {
    const weight = current.weights[i] ?? 0;
    total += weight;
    if (value < low) below += weight;
    else if (value > high) above += weight;
    else inner[binIndex(edges, value)]! += weight;
  });
  const referenceTotal = counts.reduce((a, b) => a + b, 0);
  const share = (x: number, of: number): number => (of > 0 ? x / of : 0);
  const bins: Bin[] = inner.map((c, i) => ({
    label: rangeLabel(edges[i]!, edges[i + 1]!),
    reference: share(counts[i] ?? 0, referenceTotal),
    current: share(c, total),
  }));
  if (below > 0) bins.unshift({ label: `< ${formatNumber(low)}`, reference: 0, current: share(below, total) });
  if (above > 0) bins.push({ label: `> ${formatNumber(high)}`, reference: 0, current: share(above, total) });
  return bins;
}

/** The bin [edges[i], edges[i+1]) holding `value`; the last bin also holds the top edge. */
function binIndex(edges: readonly number[], value: number): number {
  let lo = 0;
  let hi = edges.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (edges[mid]! <= value) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Category bars in reference order, then categories only the current window has (unseen ones,
 * the likeliest sign of trouble), with anything past {@link MAX_CATEGORY_BINS} summed as "other".
 */
export function categoryBins(reference: readonly (readonly [string, number])[], current: readonly (readonly [string, number])[]): Bin[] {
  const referenceTotal = reference.reduce((a, [, c]) => a + c, 0);
  const currentTotal = current.reduce((a, [, c]) => a + c, 0);
  const referenceCounts = new Map(reference);
  const currentCounts = new Map<string, number>();
  for (const [name, count] of current) currentCounts.set(name, (currentCounts.get(name) ?? 0) + count);
  const names = [...referenceCounts.keys()];
  const unseen = [...currentCounts.entries()].filter(([name]) => !referenceCounts.has(name)).sort((a, b) => b[1] - a[1]);
  names.push(...unseen.map(([name]) => name));
  const bins = names.map((label) => ({
    label,
    reference: referenceTotal > 0 ? (referenceCounts.get(label) ?? 0) / referenceTotal : 0,
    current: currentTotal > 0 ? (currentCounts.get(label) ?? 0) / currentTotal : 0,
  }));
  if (bins.length <= MAX_CATEGORY_BINS) return bins;
  const kept = bins.slice(0, MAX_CATEGORY_BINS - 1);
  const rest = bins.slice(MAX_CATEGORY_BINS - 1);
  kept.push({ label: `${rest.length} more`, reference: sum(rest.map((b) => b.reference)), current: sum(rest.map((b) => b.current)) });
  return kept;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** A numeric sketch as weighted values: exact counts while it has them, else its KLL items. */
export function weightedOfSketch(sketch: Extract<SketchData, { kind: 'numeric' }>): Weighted {
  if (sketch.distinct) return { values: sketch.distinct.map(([v]) => v), weights: sketch.distinct.map(([, c]) => c) };
  const values: number[] = [];
  const weights: number[] = [];
  // KLL: an item at level i stands for 2^i values.
  sketch.quantiles.levels.forEach((items, level) => {
    for (const item of items) {
      values.push(item);
      weights.push(2 ** level);
    }
  });
  return { values, weights };
}

function categoriesOfSketch(sketch: Extract<SketchData, { kind: 'categorical' }>): (readonly [string, number])[] {
  return sketch.other > 0 ? [...sketch.categories, ['other', sketch.other] as const] : [...sketch.categories];
}

/** Raw values as numbers; missing and non-numeric ones are left out. */
export function weightedOfSample(sample: readonly unknown[]): Weighted {
  const values: number[] = [];
  for (const raw of sample) {
    const value = typeof raw === 'boolean' ? Number(raw) : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof value === 'number' && Number.isFinite(value)) values.push(value);
  }
  return { values, weights: values.map(() => 1) };
}

function countCategories(sample: readonly unknown[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const raw of sample) {
    if (raw === null || raw === undefined || raw === '') continue;
    const key = String(raw);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()];
}

/**
 * The values of `feature` in logged requests. A logged request's inputs are columns
 * (`{"age": [41, 37]}`), a record, a list of records, or a predict body in any of its forms
 * (`records`, `columns`, `dataframe_records`, `dataframe_split`); tensors hold no named features.
 */
export function featureSample(inputs: readonly unknown[], feature: string): unknown[] {
  const values: unknown[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (!value || typeof value !== 'object') return;
    const body = value as Record<string, unknown>;
    for (const key of ['records', 'dataframe_records', 'columns']) if (Object.hasOwn(body, key)) return visit(body[key]);
    const split = body.dataframe_split as { columns?: unknown; data?: unknown } | undefined;
    if (split && Array.isArray(split.columns) && Array.isArray(split.data)) {
      const at = split.columns.indexOf(feature);
      if (at >= 0) for (const row of split.data) if (Array.isArray(row)) values.push(row[at]);
      return;
    }
    if (!Object.hasOwn(body, feature)) return;
    const column = body[feature];
    if (Array.isArray(column)) values.push(...column);
    else values.push(column);
  };
  inputs.forEach(visit);
  return values;
}
