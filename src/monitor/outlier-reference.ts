/**
 * What makes a live value an outlier against a version's reference profile: a numeric value below
 * the reference's 0.1% quantile or above its 99.9% quantile, or a category the reference never
 * held. Built once per version from its profile, then asked for every value of every request.
 */
import { sketchQuantiles } from './sketch-quantile.js';
import { type Profile } from './profile.js';

/** The reference quantiles outside which a numeric value is an outlier. */
export const OUTLIER_QUANTILES = { low: 0.001, high: 0.999 } as const;

/** The check of one feature. */
export type OutlierCheck =
  | { readonly name: string; readonly kind: 'numeric'; readonly low: number; readonly high: number }
  | { readonly name: string; readonly kind: 'categorical'; readonly seen: ReadonlySet<string> };

/** The checks of a version's features, in the profile's order. */
export interface OutlierReference {
  readonly checks: readonly OutlierCheck[];
}

/**
 * The outlier checks of a profile's features. A numeric feature takes the exact quantiles the
 * profile lists (profiles built since outliers exist list 0.1% and 99.9%), else reads them from its
 * sketch. A categorical feature is checked only when the profile kept every category it saw (no
 * `other`): otherwise a category missing from the list may still have been seen. Features with no
 * values in the reference are not checked. Undefined when no feature can be checked.
 */
export function outlierReferenceOf(profile: Profile): OutlierReference | undefined {
  const checks: OutlierCheck[] = [];
  for (const feature of profile.features) {
    if (feature.n === 0) continue;
    if (feature.kind === 'categorical') {
      if (feature.other === 0) checks.push({ name: feature.name, kind: 'categorical', seen: new Set(feature.frequencies.map(([category]) => category)) });
      continue;
    }
    const listed = (q: number) => feature.quantiles.find((entry) => entry.q === q)?.value;
    let low = listed(OUTLIER_QUANTILES.low);
    let high = listed(OUTLIER_QUANTILES.high);
    if (low === undefined || high === undefined) {
      const [fromSketchLow, fromSketchHigh] = sketchQuantiles(feature.sketch.quantiles, [OUTLIER_QUANTILES.low, OUTLIER_QUANTILES.high]);
      low = fromSketchLow ?? undefined;
      high = fromSketchHigh ?? undefined;
    }
    if (low !== undefined && high !== undefined && Number.isFinite(low) && Number.isFinite(high)) checks.push({ name: feature.name, kind: 'numeric', low, high });
  }
  return checks.length > 0 ? { checks } : undefined;
}
