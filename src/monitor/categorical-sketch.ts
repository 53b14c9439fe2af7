/**
 * The sketch of one categorical feature: counts of every value offered, missing and invalid
 * values, and a count per category for at most `maxCategories` categories, the rest counted
 * together as `other`.
 *
 * Which categories are kept when there are too many: the ones with the smallest hash (a bottom-k
 * sample over category names, ties broken by the name). Unlike keeping the most frequent, this
 * makes merging exactly associative and commutative (any merge order gives the same sketch), keeps
 * the exact count of every category it keeps, and makes two sketches comparable: both keep every
 * category whose hash is below the smaller of their cut-offs, so a reference profile and a live
 * window are compared on the same categories (see `alignCategories`).
 *
 * Conventions: null, undefined and '' are missing; strings are categories as they are; numbers,
 * booleans and bigints become their string form ('1', 'true'); objects are invalid.
 */
import { Errors } from '../core/errors.js';
import { CATEGORICAL_SKETCH_BYTES, MAP_BYTES, MAP_ENTRY_BYTES, STRING_BYTES } from './window-footprint.js';

/** Default most categories kept per sketch. */
export const DEFAULT_MAX_CATEGORIES = 256;

/** Serialised categorical sketch. */
export interface CategoricalSketchData {
  readonly kind: 'categorical';
  readonly count: number;
  readonly missing: number;
  readonly invalid: number;
  /** Values counted: the kept categories' counts plus `other`. */
  readonly n: number;
  /** [category, count], most frequent first, ties by name. */
  readonly categories: readonly (readonly [string, number])[];
  /** Values whose category was not kept because more than maxCategories were seen. */
  readonly other: number;
  readonly maxCategories: number;
}

/** Options of a categorical sketch. */
export interface CategoricalSketchOptions {
  readonly maxCategories?: number;
}

/** Accumulates a categorical feature. `add` is O(1) except when a kept category is displaced. */
export class CategoricalSketch {
  private count = 0;
  private missing = 0;
  private invalid = 0;
  private n = 0;
  private other = 0;
  private readonly counts = new Map<string, number>();
  private maxCategories: number;
  // The kept category with the largest (hash, name) and its hash, once the sketch is full;
  // undefined until needed and after any change to the kept set.
  private cutoff: { readonly name: string; readonly hash: number } | undefined;

  constructor(options: CategoricalSketchOptions = {}) {
    this.maxCategories = validMax(options.maxCategories ?? DEFAULT_MAX_CATEGORIES);
  }

  /** Rebuilds a sketch from JSON; throws BERTH_MONITOR_DATA_INVALID when it is malformed. */
  static fromJSON(data: CategoricalSketchData): CategoricalSketch {
    validateCategoricalSketch(data);
    const sketch = new CategoricalSketch({ maxCategories: data.maxCategories });
    sketch.mergeData(data);
    return sketch;
  }

  /** Adds one raw value of any type. */
  add(value: unknown): void {
    this.count += 1;
    const category = toCategory(value);
    if (category === MISSING) this.missing += 1;
    else if (category === INVALID) this.invalid += 1;
    else this.addCategory(category, 1);
  }

  /** Merges another sketch of the same feature into this one (exactly associative). */
  merge(other: CategoricalSketch | CategoricalSketchData): this {
    const data = other instanceof CategoricalSketch ? other.toJSON() : other;
    validateCategoricalSketch(data);
    this.mergeData(data);
    return this;
  }

  /** The JSON form (a copy). */
  toJSON(): CategoricalSketchData {
    return {
      kind: 'categorical',
      count: this.count,
      missing: this.missing,
      invalid: this.invalid,
      n: this.n,
      categories: [...this.counts.entries()].sort((a, b) => b[1] - a[1] || compareNames(a[0], b[0])),
      other: this.other,
      maxCategories: this.maxCategories,
    };
  }

  /** Roughly the bytes of memory it holds (see window-footprint.ts): names count as two bytes a character. */
  estimatedBytes(): number {
    let names = 0;
    for (const name of this.counts.keys()) names += STRING_BYTES + 2 * name.length;
    return CATEGORICAL_SKETCH_BYTES + MAP_BYTES + MAP_ENTRY_BYTES * this.counts.size + names;
  }

  private addCategory(category: string, weight: number): void {
    this.n += weight;
    const current = this.counts.get(category);
    if (current !== undefined) {
      this.counts.set(category, current + weight);
      return;
    }
    if (this.counts.size < this.maxCategories) {
      this.counts.set(category, weight);
      this.cutoff = undefined;
      return;
    }
    if (this.cutoff === undefined) {
      const name = largestKey(this.counts.keys());
      this.cutoff = { name, hash: categoryHash(name) };
    }
    const hash = categoryHash(category);
    if (hash < this.cutoff.hash || (hash === this.cutoff.hash && compareNames(category, this.cutoff.name) < 0)) {
      // The new category belongs to the bottom-k; the largest kept one leaves for `other`.
      this.other += this.counts.get(this.cutoff.name)!;
      this.counts.delete(this.cutoff.name);
      this.counts.set(category, weight);
      this.cutoff = undefined;
    } else {
      this.other += weight;
    }
  }

  private mergeData(data: CategoricalSketchData): void {
    this.count += data.count;
    this.missing += data.missing;
    this.invalid += data.invalid;
    this.other += data.other;
    this.n += data.other;
    this.maxCategories = Math.min(this.maxCategories, data.maxCategories);
    for (const [category, c] of data.categories) {
      this.n += c;
      this.counts.set(category, (this.counts.get(category) ?? 0) + c);
    }
    if (this.counts.size > this.maxCategories) {
      const byKey = [...this.counts.keys()].sort(compareKeys);
      for (const category of byKey.slice(this.maxCategories)) {
        this.other += this.counts.get(category)!;
        this.counts.delete(category);
      }
    }
    this.cutoff = undefined;
  }
}

/** Merges two serialised categorical sketches into a new one. */
export function mergeCategoricalSketches(a: CategoricalSketchData, b: CategoricalSketchData): CategoricalSketchData {
  return CategoricalSketch.fromJSON(a).merge(b).toJSON();
}

/** Counts of two sketches over one list of categories, ready for a contingency table. */
export interface AlignedCategories {
  /** Categories compared, in a stable order; `otherKey` stands for everything folded together. */
  readonly categories: readonly string[];
  readonly reference: readonly number[];
  readonly current: readonly number[];
  /** The label of the folded categories, present in `categories` only when either side has some. */
  readonly otherKey: string;
}

/** Label used for the folded categories in aligned counts. */
export const OTHER_CATEGORY = '__other__';

/**
 * Puts a reference and a current sketch on the same categories: every category both sketches
 * know exactly (hash below both cut-offs) is compared on its own, the rest are folded into
 * `__other__` on both sides. Categories seen on only one side appear with a count of 0 on the
 * other (a category seen only in production is compared, never dropped).
 */
export function alignCategories(reference: CategoricalSketchData, current: CategoricalSketchData): AlignedCategories {
  const limit = minKey(cutoffOf(reference), cutoffOf(current));
  const refCounts = new Map<string, number>();
  const curCounts = new Map<string, number>();
  let refOther = reference.other;
  let curOther = current.other;
  for (const [category, c] of reference.categories) {
    if (limit !== undefined && compareKeys(category, limit) > 0) refOther += c;
    else refCounts.set(category, c);
  }
  for (const [category, c] of current.categories) {
    if (limit !== undefined && compareKeys(category, limit) > 0) curOther += c;
    else curCounts.set(category, c);
  }
  const categories = [...new Set([...refCounts.keys(), ...curCounts.keys()])].sort(compareNames);
  const out = {
    categories,
    reference: categories.map((c) => refCounts.get(c) ?? 0),
    current: categories.map((c) => curCounts.get(c) ?? 0),
  };
  if (refOther > 0 || curOther > 0) {
    return { categories: [...out.categories, OTHER_CATEGORY], reference: [...out.reference, refOther], current: [...out.current, curOther], otherKey: OTHER_CATEGORY };
  }
  return { ...out, otherKey: OTHER_CATEGORY };
}

/** Categories of the current sketch that the reference never saw, with their counts. */
export interface UnseenCategories {
  /** Values in the current window whose category is not in the reference. */
  readonly count: number;
  /** The unseen categories, most frequent first. */
  readonly categories: readonly (readonly [string, number])[];
  /**
   * Values in the current window's `other` bucket, or above the reference's cut-off, whose
   * category cannot be checked (0 unless a sketch is over its category cap).
   */
  readonly unknown: number;
}

/** Counts values whose category does not appear in the reference. Exact while neither sketch is over its cap. */
export function unseenCategories(reference: CategoricalSketchData, current: CategoricalSketchData): UnseenCategories {
  const known = new Set(reference.categories.map(([c]) => c));
  const limit = cutoffOf(reference);
  const unseen: [string, number][] = [];
  let unknown = current.other;
  for (const [category, c] of current.categories) {
    if (known.has(category)) continue;
    if (limit !== undefined && compareKeys(category, limit) > 0) unknown += c;
    else unseen.push([category, c]);
  }
  unseen.sort((a, b) => b[1] - a[1] || compareNames(a[0], b[0]));
  return { count: unseen.reduce((sum, [, c]) => sum + c, 0), categories: unseen, unknown };
}

/** 32-bit FNV-1a over UTF-16 code units: stable across processes, so replicas agree. */
export function categoryHash(category: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < category.length; i++) {
    h ^= category.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function compareKeys(a: string, b: string): number {
  return categoryHash(a) - categoryHash(b) || compareNames(a, b);
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function largestKey(keys: Iterable<string>): string {
  let best: string | undefined;
  for (const k of keys) if (best === undefined || compareKeys(k, best) > 0) best = k;
  return best!;
}

/** The largest kept key when the sketch dropped categories, else undefined (it kept them all). */
function cutoffOf(data: CategoricalSketchData): string | undefined {
  return data.other > 0 ? largestKey(data.categories.map(([c]) => c)) : undefined;
}

function minKey(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareKeys(a, b) <= 0 ? a : b;
}

const MISSING = Symbol('missing');
const INVALID = Symbol('invalid');

/** A raw value as the category a sketch counts it under; undefined when it is missing or invalid. */
export function categoryOf(value: unknown): string | undefined {
  const category = toCategory(value);
  return typeof category === 'string' ? category : undefined;
}

function toCategory(value: unknown): string | typeof MISSING | typeof INVALID {
  switch (typeof value) {
    case 'string':
      return value === '' ? MISSING : value;
    case 'number':
      return Number.isNaN(value) ? MISSING : String(value);
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'undefined':
      return MISSING;
    default:
      return value === null ? MISSING : INVALID;
  }
}

function validMax(max: unknown): number {
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 1_000_000) {
    throw Errors.MONITOR_DATA_INVALID.create('A categorical sketch', `maxCategories must be an integer from 1 to 1000000, not ${String(max)}`);
  }
  return max;
}

function validateCategoricalSketch(data: CategoricalSketchData): void {
  const problem = categoricalSketchProblem(data);
  if (problem !== undefined) throw Errors.MONITOR_DATA_INVALID.create('A categorical sketch', problem);
}

function categoricalSketchProblem(data: CategoricalSketchData): string | undefined {
  if (typeof data !== 'object' || data === null || data.kind !== 'categorical') return "its kind is not 'categorical'";
  for (const key of ['count', 'missing', 'invalid', 'n', 'other', 'maxCategories'] as const) {
    if (!isCount(data[key])) return `${key} is not a non-negative integer`;
  }
  if (data.missing + data.invalid + data.n !== data.count) return 'missing + invalid + n differs from count';
  if (!Array.isArray(data.categories)) return 'categories is not a list';
  if (data.categories.length > data.maxCategories) return 'it keeps more categories than maxCategories';
  let total = data.other;
  const seen = new Set<string>();
  for (const pair of data.categories) {
    if (!Array.isArray(pair) || typeof pair[0] !== 'string' || !isCount(pair[1])) return 'categories holds a pair that is not [name, count]';
    if (seen.has(pair[0])) return `category '${pair[0]}' appears twice`;
    seen.add(pair[0]);
    total += pair[1];
  }
  if (total !== data.n) return 'category counts and other do not add up to n';
  // Values go to `other` only once the sketch is full, so a sketch with `other` keeps the maximum.
  if (data.other > 0 && data.categories.length !== data.maxCategories) return 'it has other values but fewer categories than maxCategories';
  return undefined;
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0;
}
