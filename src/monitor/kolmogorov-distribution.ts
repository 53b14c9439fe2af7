/**
 * The distributions of the Kolmogorov-Smirnov statistics: the one-sided Smirnov distribution
 * (scipy.special.smirnov) and the two-sided Kolmogorov distribution of D_n for a sample of n
 * (scipy.stats.kstwo). The two-sided one follows Simard and L'Ecuyer (2011), "Computing the
 * Two-Sided Kolmogorov-Smirnov Distribution", choosing per (n, d) between the Durbin matrix
 * (Marsaglia-Tsang-Wang), Pomeranz's recursion, the Pelz-Good expansion and 2 x Smirnov, with the
 * same switch-over points as scipy/stats/_ksstats.py so that results agree with scipy.
 */
const SCALE_EXPONENT = 128;
const SCALE_UP = 2 ** SCALE_EXPONENT;
const SCALE_DOWN = 2 ** -SCALE_EXPONENT;
const SQRT_2PI = Math.sqrt(2 * Math.PI);
const LOG_2PI = Math.log(2 * Math.PI);
const MIN_LOG = -708;
const CEPHES_MIN_LOG = -708.3964185322641; // log(2^-1022), cephes MINLOG
const SMIRNOV_MAX_COMPUTE_N = 1_000_000;
const PI2 = Math.PI ** 2;
const PI4 = Math.PI ** 4;
const PI6 = Math.PI ** 6;
const SQRT3 = Math.sqrt(3);
// B_2j / (2j (2j - 1)) for j = 8 down to 1, highest power first (as numpy.polyval wants).
const STIRLING_COEFFS = [-3617 / 122400, 1 / 156, -691 / 360360, 1 / 1188, -1 / 1680, 1 / 1260, -1 / 360, 1 / 12] as const;

function clip01(p: number): number {
  return p < 0 ? 0 : p > 1 ? 1 : p;
}

/**
 * Survival function of the one-sided Smirnov statistic: P(D+_n >= d) for a sample of n
 * (scipy.special.smirnov). Sums the Birnbaum-Tingey series in logarithms: every term is positive,
 * so the sum keeps its relative accuracy however small it is.
 */
export function smirnovSf(n: number, d: number): number {
  if (!(n > 0) || !(d >= 0 && d <= 1)) return Number.NaN;
  if (n === 1) return 1 - d;
  if (d === 0) return 1;
  if (d === 1) return 0;
  const nx = n * d;
  let nxFloor = Math.floor(nx);
  let alpha = nx - nxFloor;
  if (alpha >= 1) {
    nxFloor += 1;
    alpha = 0;
  }
  if (nxFloor === 0 || (nxFloor === 1 && alpha === 0)) {
    // d <= 1/n: the distribution is a single polynomial piece.
    return clip01(1 - d * Math.pow(1 + d, n - 1));
  }
  if (-2 * n * d * d < CEPHES_MIN_LOG) return 0;
  if (nxFloor >= n - 1) return clip01(Math.pow(1 - d, n));
  if (n > SMIRNOV_MAX_COMPUTE_N) {
    const logp = -Math.pow(6 * n * d + 1, 2) / 18 / n;
    return clip01(logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp));
  }
  // sf = d * sum_{v=0}^{n - floor(nd) - 1} C(n, v) (d + v/n)^(v-1) (1 - d - v/n)^(n-v)
  const last = n - nxFloor - 1;
  let logBinomial = 0;
  let maxLog = -Infinity;
  let scaled = 0;
  for (let v = 0; v <= last; v++) {
    const upper = (n - v) / n - d;
    if (upper > 0) {
      const logTerm = logBinomial + (v - 1) * Math.log(d + v / n) + (n - v) * Math.log(upper);
      if (logTerm > maxLog) {
        scaled = scaled * Math.exp(maxLog - logTerm) + 1;
        maxLog = logTerm;
      } else {
        scaled += Math.exp(logTerm - maxLog);
      }
    }
    logBinomial += Math.log((n - v) / (v + 1));
  }
  if (scaled === 0) return 0;
  return clip01(d * scaled * Math.exp(maxLog));
}

/** log(n! / n^n) by Stirling's series, with n log n removed up front to avoid cancellation. */
function logFactorialOverPower(n: number): number {
  const rn = 1 / n;
  const y = rn / n;
  let poly = 0;
  for (const c of STIRLING_COEFFS) poly = poly * y + c;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * poly;
}

/** Pr(D_n <= d) by Durbin's matrix, computed as Marsaglia, Tsang and Wang (2003) do. */
function cdfDurbinMatrix(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - Math.pow(h, j)) * fac;
  }
  const tt = Math.pow(Math.max(2 * h - 1, 0), m) - 2 * Math.pow(h, m);
  v[m - 1] = (1 + tt) * fac;

  let matrix = new Float64Array(m * m);
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) matrix[r * m + i] = w[r - (i - 1)]!;
  }
  for (let r = 0; r < m; r++) matrix[r * m] = v[r]!;
  for (let c = 0; c < m; c++) matrix[(m - 1) * m + c] = v[m - 1 - c]!;

  let power = identity(m);
  let exponent = 0;
  let matrixExponent = 0;
  let remaining = n;
  while (remaining > 0) {
    if (remaining % 2 === 1) {
      power = multiply(power, matrix, m);
      exponent += matrixExponent;
    }
    matrix = multiply(matrix, matrix, m);
    matrixExponent *= 2;
    const centre = (k - 1) * m + (k - 1);
    if (Math.abs(matrix[centre]!) > SCALE_UP) {
      for (let i = 0; i < matrix.length; i++) matrix[i]! /= SCALE_UP;
      matrixExponent += SCALE_EXPONENT;
    }
    remaining = Math.floor(remaining / 2);
  }
  let p = power[(k - 1) * m + (k - 1)]!;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < SCALE_DOWN) {
      p *= SCALE_UP;
      exponent -= SCALE_EXPONENT;
    }
  }
  return clip01(exponent === 0 ? p : p * Math.pow(2, exponent));
}

function identity(m: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) out[i * m + i] = 1;
  return out;
}

function multiply(a: Float64Array, b: Float64Array, m: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let l = 0; l < m; l++) {
      const ail = a[i * m + l]!;
      if (ail === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j]! += ail * b[l * m + j]!;
    }
  }
  return out;
}

function pomeranzBounds(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = half - 1 - ll - roundf - 1;
        j2 = half + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = half - 1 - ll - 1;
      j2 = half + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** Pr(D_n <= d) by Pomeranz's recursion (1974), for small n. */
function cdfPomeranz(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = 1;
  twogpower[0] = 1;
  onem2gpower[0] = 1;
  let exponent = 0;
  const gOverN = g / n;
  const twoGOverN = (2 * g) / n;
  const oneMinusTwoGOverN = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = (gpower[m - 1]! * gOverN) / m;
    twogpower[m] = (twogpower[m - 1]! * twoGOverN) / m;
    onem2gpower[m] = (onem2gpower[m - 1]! * oneMinusTwoGOverN) / m;
  }
  let v0 = new Float64Array(npwrs);
  let v1 = new Float64Array(npwrs);
  v1[0] = 1;
  let v0s = 0;
  let v1s = 0;
  let [j1, j2] = pomeranzBounds(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [v0, v1] = [v1, v0];
    [v0s, v1s] = [v1s, v0s];
    v1.fill(0);
    [j1, j2] = pomeranzBounds(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 === 1 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      // Full convolution of V0[k1 - v0s : k1 - v0s + ln2] with pwrs[:ln2], then the slice used.
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      let maxV = 0;
      const offset = k1 - v0s;
      const lengthA = Math.min(ln2, npwrs - offset);
      const lengthB = Math.min(ln2, npwrs);
      for (let c = 0; c < convLen; c++) {
        const index = convStart + c;
        let sum = 0;
        for (let a = Math.max(0, index - lengthB + 1); a <= Math.min(index, lengthA - 1); a++) {
          sum += v0[offset + a]! * pwrs[index - a]!;
        }
        v1[c] = sum;
        if (sum > maxV) maxV = sum;
      }
      if (maxV > 0 && maxV < SCALE_DOWN) {
        for (let c = 0; c < convLen; c++) v1[c]! *= SCALE_UP;
        exponent -= SCALE_EXPONENT;
      }
      v1s = v0s + j1 - k1;
    }
  }
  let answer = v1[n - v1s]!;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(answer) > SCALE_UP) {
      answer *= SCALE_DOWN;
      exponent += SCALE_EXPONENT;
    }
    answer *= m;
  }
  if (exponent !== 0) answer *= Math.pow(2, exponent);
  return clip01(answer);
}

/** The Pelz-Good (1976) approximation to Pr(D_n <= x), for large n. */
function cdfPelzGood(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z3 = z2 * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < MIN_LOG) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const terms = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qpower = Math.pow(q, 8 * k);
    const coeffs = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) terms[i] = terms[i]! * qpower + coeffs[i]!;
  }
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) terms[i] = (terms[i]! * q * SQRT_2PI) / divisors[i]!;
  q = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = SQRT3 * z;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qk = Math.pow(q, k2);
    k2extra += k2 * qk;
    const kpi = Math.PI * k;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qk;
  }
  terms[2] = terms[2]! + (k2extra * PI2 * SQRT_2PI) / (-36 * z3);
  terms[3] = terms[3]! + (k3extra * PI2 * SQRT_2PI) / (216 * z6);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += terms[i]! / Math.pow(n, i / 2);
  return sum;
}

/**
 * Survival function of the two-sided one-sample Kolmogorov-Smirnov statistic, P(D_n >= d) for a
 * sample of n (scipy.stats.kstwo.sf(d, n)). n must be a positive integer.
 */
export function kolmogorovSf(n: number, d: number): number {
  if (!Number.isInteger(n) || n <= 0 || Number.isNaN(d)) return Number.NaN;
  if (d >= 1) return 0;
  if (d <= 0) return 1;
  const t = n * d;
  if (t <= 1) {
    // Ruben-Gambino: 1/(2n) <= d <= 1/n.
    if (t <= 0.5) return 1;
    let cdf: number;
    if (n <= 140) {
      cdf = 1;
      for (let i = 1; i <= n; i++) cdf *= (i / n) * (2 * t - 1);
    } else {
      cdf = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    }
    return clip01(1 - cdf);
  }
  if (t >= n - 1) return clip01(2 * Math.pow(1 - d, n));
  if (d >= 0.5) return clip01(2 * smirnovSf(n, d));
  const nxSquared = t * d;
  if (n <= 140) {
    if (nxSquared <= 0.754693) return clip01(1 - cdfDurbinMatrix(n, d));
    if (nxSquared <= 4) return clip01(1 - cdfPomeranz(n, d));
    return clip01(2 * smirnovSf(n, d));
  }
  if (nxSquared >= 370) return 0;
  if (nxSquared >= 2.2) return clip01(2 * smirnovSf(n, d));
  const cdf = n <= 100_000 && n * Math.pow(d, 1.5) <= 1.4 ? cdfDurbinMatrix(n, d) : cdfPelzGood(n, d);
  return clip01(1 - cdf);
}
