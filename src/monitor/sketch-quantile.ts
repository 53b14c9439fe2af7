/** Quantiles read from a KLL sketch (latency percentiles of a window or a range). */
import { KllSketch, type KllSketchData } from './kll-sketch.js';

/**
 * The q-quantile of the values a sketch summarises, by nearest rank (the smallest value whose
 * cumulative weight reaches q of the total); null when the sketch is empty. Exact while the sketch
 * has not compacted; otherwise within its rank error.
 */
export function sketchQuantiles(data: KllSketchData, qs: readonly number[]): (number | null)[] {
  if (data.n === 0) return qs.map(() => null);
  const sample = KllSketch.fromJSON(data).sample();
  return qs.map((q) => {
    const target = Math.max(1, Math.ceil(q * sample.total));
    let cumulative = 0;
    for (let i = 0; i < sample.values.length; i++) {
      cumulative += sample.weights[i]!;
      if (cumulative >= target) return sample.values[i]!;
    }
    return sample.values[sample.values.length - 1]!;
  });
}
