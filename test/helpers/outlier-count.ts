/**
 * Outlier scores computed directly from two tables of columns, for tests: a numeric value outside
 * numpy.quantile(reference, [0.001, 0.999]) or a category absent from the reference scores 1 per
 * feature. Independent of the monitor's code, so tests can compare the two.
 */

/** Columns of a CSV: one array per header name, null for an empty cell. */
export type CsvColumns = Record<string, (string | null)[]>;

/** numpy.quantile(values, q), linear, on sorted values. */
export function numpyQuantile(sorted: readonly number[], q: number): number {
  const position = q * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

/** Each row's outlier score in `current` and the outlying values per feature, against `reference`. */
export function directOutlierScores(
  reference: CsvColumns,
  current: CsvColumns,
  kinds: Readonly<Record<string, 'numeric' | 'categorical'>>,
): { scores: number[]; perFeature: Record<string, number> } {
  const names = Object.keys(kinds);
  const rows = current[names[0]!]!.length;
  const scores = new Array<number>(rows).fill(0);
  const perFeature: Record<string, number> = {};
  for (const name of names) {
    let hits = 0;
    const outlying: (v: string) => boolean =
      kinds[name] === 'numeric'
        ? (() => {
            const sorted = reference[name]!.filter((v) => v !== null).map(Number).sort((a, b) => a - b);
            const low = numpyQuantile(sorted, 0.001);
            const high = numpyQuantile(sorted, 0.999);
            return (v: string) => Number(v) < low || Number(v) > high;
          })()
        : (() => {
            const seen = new Set(reference[name]!.filter((v) => v !== null));
            return (v: string) => !seen.has(v);
          })();
    current[name]!.forEach((v, i) => {
      if (v !== null && outlying(v)) {
        scores[i]! += 1;
        hits++;
      }
    });
    perFeature[name] = hits;
  }
  return { scores, perFeature };
}
