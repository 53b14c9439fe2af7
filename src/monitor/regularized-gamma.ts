/**
 * The regularised incomplete gamma functions P(a, x) and Q(a, x) = 1 - P(a, x), and the
 * chi-square survival function built on Q. The series and continued fraction (modified Lentz)
 * are the classical pair: each is used where it converges fast and without cancellation, so the
 * smaller of P and Q is always computed directly and keeps its relative accuracy far into the
 * tail (a chi-square p-value of 1e-200 is accurate, not rounded to 0).
 */
import { logGamma } from './log-gamma.js';

const EPSILON = 1e-16;
const TINY = 1e-300;
const MAX_ITERATIONS = 100_000;

/** P(a, x), the regularised lower incomplete gamma function, for a > 0 and x >= 0. */
export function regularizedGammaP(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return Number.NaN;
  if (x === 0) return 0;
  if (x === Infinity) return 1;
  return x < a + 1 ? lowerSeries(a, x) : 1 - upperContinuedFraction(a, x);
}

/** Q(a, x) = 1 - P(a, x), the regularised upper incomplete gamma function. */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return Number.NaN;
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  return x < a + 1 ? 1 - lowerSeries(a, x) : upperContinuedFraction(a, x);
}

/**
 * Survival function of the chi-square distribution with `dof` degrees of freedom at `x`
 * (scipy.stats.chi2.sf). Returns 1 for x <= 0.
 */
export function chiSquareSf(x: number, dof: number): number {
  if (!(dof > 0)) return Number.NaN;
  if (!(x > 0)) return 1;
  return regularizedGammaQ(dof / 2, x / 2);
}

/** exp(-x) x^a / Gamma(a), evaluated in logs so that large a and x do not overflow. */
function prefactor(a: number, x: number): number {
  return Math.exp(-x + a * Math.log(x) - logGamma(a));
}

function lowerSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPSILON) break;
  }
  return Math.min(1, sum * prefactor(a, x));
}

function upperContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return Math.min(1, prefactor(a, x) * h);
}
