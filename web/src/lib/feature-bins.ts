/**
 * The reference and current distributions of one feature, as the drift report's `bins` carry
 * them (the server bins both sides the way its statistics do), labelled for drawing side by side.
 */
import type { FeatureBins, FeatureDrift } from '../api/api-types.js';
import { formatNumber } from './format.js';

/** One bar pair: the share of reference and current values in a bin. */
export interface Bin {
  readonly label: string;
  readonly reference: number;
  readonly current: number;
}

/** Most bars drawn for a feature; the rest are summed into one "n more" bar. */
export const MAX_CATEGORY_BINS = 10;

/** The bars of `drift`'s feature; none when the report has no bins for it (no data on a side). */
export function featureBins(drift: Pick<FeatureDrift, 'kind' | 'bins'>): Bin[] {
  if (!drift.bins) return [];
  const bins = labelled(drift.bins);
  return drift.kind === 'categorical' ? capped(bins) : bins;
}

function labelled(bins: FeatureBins): Bin[] {
  const label = (i: number): string => {
    if (bins.values) return String(bins.values[i] ?? i);
    if (bins.edges && bins.edges.length > i + 1) return `${formatNumber(bins.edges[i]!)}–${formatNumber(bins.edges[i + 1]!)}`;
    return String(i + 1);
  };
  return bins.reference.map((reference, i) => ({ label: label(i), reference, current: bins.current[i] ?? 0 }));
}

/** Categories past {@link MAX_CATEGORY_BINS}, the least frequent on both sides, summed as one bar. */
function capped(bins: readonly Bin[]): Bin[] {
  if (bins.length <= MAX_CATEGORY_BINS) return [...bins];
  const ranked = [...bins].sort((a, b) => Math.max(b.reference, b.current) - Math.max(a.reference, a.current));
  const kept = new Set(ranked.slice(0, MAX_CATEGORY_BINS - 1));
  const rest = bins.filter((b) => !kept.has(b));
  return [
    ...bins.filter((b) => kept.has(b)),
    { label: `${rest.length} more`, reference: sum(rest.map((b) => b.reference)), current: sum(rest.map((b) => b.current)) },
  ];
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
