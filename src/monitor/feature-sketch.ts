/**
 * A sketch of either kind, chosen from a feature's spec, and the merge of two serialised ones.
 */
import { Errors } from '../core/errors.js';
import { CategoricalSketch, type CategoricalSketchData, mergeCategoricalSketches } from './categorical-sketch.js';
import { type FeatureSpec } from './feature-spec.js';
import { mergeNumericSketches, NumericSketch, type NumericSketchData } from './numeric-sketch.js';

/** A serialised sketch of either kind. */
export type SketchData = NumericSketchData | CategoricalSketchData;

/** Sketch sizes: quantile sketch accuracy and the most categories kept. */
export interface SketchOptions {
  readonly k?: number;
  readonly maxCategories?: number;
}

/** A new, empty sketch for a feature. */
export function createSketch(spec: FeatureSpec, options: SketchOptions = {}): NumericSketch | CategoricalSketch {
  if (spec.kind === 'numeric') {
    return new NumericSketch({ k: options.k, range: { min: spec.min, max: spec.max } });
  }
  return new CategoricalSketch({ maxCategories: options.maxCategories });
}

/** Merges two serialised sketches of the same feature; throws BERTH_MONITOR_DATA_INVALID when their kinds differ. */
export function mergeSketchData(a: SketchData, b: SketchData): SketchData {
  if (a.kind === 'numeric' && b.kind === 'numeric') return mergeNumericSketches(a, b);
  if (a.kind === 'categorical' && b.kind === 'categorical') return mergeCategoricalSketches(a, b);
  throw Errors.MONITOR_DATA_INVALID.create('A pair of sketches', `one is ${String(a.kind)} and the other ${String(b.kind)}`);
}
