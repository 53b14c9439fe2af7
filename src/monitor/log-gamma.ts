/**
 * The logarithm of the gamma function, for the chi-square and Kolmogorov distributions.
 */

// Stirling's series coefficients B_2j / (2j (2j - 1)), j = 1..8. From x >= 10 on, the eighth term
// is below 1e-17 of the result, so the series alone is accurate to a few ulps.
const STIRLING = [
  1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156, -3617 / 122400,
] as const;
const HALF_LOG_2PI = 0.9189385332046727; // log(2 pi) / 2
const STIRLING_FROM = 10;

/**
 * log(Gamma(x)) for x > 0, accurate to about 1e-15 (absolute near x = 1 and 2, where it is 0;
 * relative elsewhere). Returns Infinity at x = 0 and NaN for negative or NaN x; callers in this
 * layer only pass positive arguments.
 */
export function logGamma(x: number): number {
  if (Number.isNaN(x) || x < 0) return Number.NaN;
  if (x === 0) return Infinity;
  if (x === Infinity) return Infinity;
  // Shift small arguments up with Gamma(x) = Gamma(x + m) / (x (x+1) ... (x+m-1)); the product
  // stays far from overflow (at most 10 factors below 10).
  let shift = 0;
  let product = 1;
  let y = x;
  while (y < STIRLING_FROM) {
    product *= y;
    y += 1;
    shift += 1;
  }
  const inv = 1 / y;
  const inv2 = inv * inv;
  let series = 0;
  for (let j = STIRLING.length - 1; j >= 0; j--) series = series * inv2 + STIRLING[j]!;
  series *= inv;
  const stirling = (y - 0.5) * Math.log(y) - y + HALF_LOG_2PI + series;
  return shift === 0 ? stirling : stirling - Math.log(product);
}
