/** Writing float32 results (probabilities, predicted values) as people expect to read them. */

/**
 * The shortest decimal that reads back as the same float32: `0.8`, not the `0.800000011920929`
 * the value is as a float64. Values that are not float32 (a float64 output) get the shortest
 * float64 text instead, as String() writes it.
 *
 * @example
 *   formatFloat32(Math.fround(0.8)); // '0.8'
 */
export function formatFloat32(value: number): string {
  if (!Number.isFinite(value) || Math.fround(value) !== value) return String(value);
  for (let digits = 1; digits < 9; digits++) {
    const text = value.toPrecision(digits);
    if (Math.fround(Number(text)) === value) return String(Number(text));
  }
  return String(Number(value.toPrecision(9)));
}
