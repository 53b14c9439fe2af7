/**
 * The p-value of the two-sided two-sample Kolmogorov-Smirnov statistic, chosen and computed as
 * scipy.stats.ks_2samp does (scipy 1.10): exact when both samples have at most 10,000 values
 * (`auto`), else the asymptotic Kolmogorov distribution of D for n = round(n1 n2 / (n1 + n2)).
 */
import { kolmogorovSf } from './kolmogorov-distribution.js';

/** How the p-value is computed: `auto` picks `exact` for samples of at most 10,000, as scipy. */
export type KsPValueMethod = 'auto' | 'exact' | 'asymp';

/** A p-value and the method that produced it (`exact` falls back to `asymp` where it must). */
export interface KsPValue {
  readonly pValue: number;
  readonly method: 'exact' | 'asymp';
}

const MAX_AUTO_N = 10_000;
const INT32_MAX = 2 ** 31 - 1;

/**
 * P(D >= d) under the null hypothesis that both samples of sizes n1 and n2 come from one
 * continuous distribution. Returns 1 when either size is 0 (no evidence of drift), never NaN.
 * The exact method costs O(max(n1, n2) x d x min(n1, n2)) for unequal sizes (about a second at
 * 10,000 x 5,000 and d = 0.25); `auto` keeps it to samples of at most 10,000.
 */
export function ksPValue(n1: number, n2: number, d: number, method: KsPValueMethod = 'auto'): KsPValue {
  if (!(n1 > 0) || !(n2 > 0) || !(d > 0)) return { pValue: 1, method: method === 'asymp' ? 'asymp' : 'exact' };
  let mode: 'exact' | 'asymp' = method === 'auto' ? (Math.max(n1, n2) <= MAX_AUTO_N ? 'exact' : 'asymp') : method;
  const g = gcd(n1, n2);
  if (mode === 'exact' && method === 'exact' && n1 / g >= INT32_MAX / (n2 / g)) mode = 'asymp';
  if (mode === 'exact') {
    const exact = exactPValue(n1, n2, g, d);
    if (exact !== undefined) return { pValue: exact, method: 'exact' };
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const en = (m * n) / (m + n);
  return { pValue: clip01(kolmogorovSf(roundHalfEven(en), d)), method: 'asymp' };
}

function exactPValue(n1: number, n2: number, g: number, d: number): number | undefined {
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  if (h === 0) return 1;
  const p = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
  return Number.isFinite(p) && p >= 0 && p <= 1 ? p : undefined;
}

/** P(D_{n,n} >= h/n), by a Horner-like sum that avoids subtractive cancellation. */
function probOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    p = p1 * (1 - p);
  }
  return 2 * p;
}

/**
 * The proportion of lattice paths from (0,0) to (m,n) that leave the band |x/m - y/n| < h/lcm,
 * by Hodges' inside method rewritten (Viehmann 2021) to compute the complement directly.
 */
function outerProbInside(mIn: number, nIn: number, g: number, h: number): number {
  const [m, n] = mIn >= nIn ? [mIn, nIn] : [nIn, mIn];
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const a = new Float64Array(lenA).fill(1);
  for (let j = minj; j < maxj; j++) a[j] = 0;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.max(Math.floor((ng * i - h) / mg) + 1, 0);
    minj = Math.min(minj, n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (a[jj + minj - lastminj]! * i + val * j) / (i + j);
      a[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) a.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return a[maxj - minj - 1]!;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** numpy.round: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function clip01(p: number): number {
  return p < 0 ? 0 : p > 1 ? 1 : p;
}
