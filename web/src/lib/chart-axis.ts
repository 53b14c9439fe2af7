/** Where a chart's time axis starts, so what data there is fills the chart. */

/**
 * Where the time axis starts: the range's start, unless the data fills less than its last half
 * (minutes of traffic in a 24-hour range); then just before the first point, so the points spread
 * out instead of squashing against the right edge.
 */
export function axisStart(from: number, to: number, data: readonly { readonly t: number }[]): number {
  if (data.length === 0 || !(to > from)) return from;
  const first = Math.min(...data.map((d) => d.t));
  if (first - from <= (to - from) / 2) return from;
  return Math.max(from, first - Math.max((to - first) * 0.1, 60_000));
}
