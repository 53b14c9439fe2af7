import { describe, expect, it } from 'vitest';
import { kolmogorovSf, smirnovSf } from '../../src/monitor/kolmogorov-distribution.js';
import { logGamma } from '../../src/monitor/log-gamma.js';
import { chiSquareSf, regularizedGammaP, regularizedGammaQ } from '../../src/monitor/regularized-gamma.js';
import { expectClose, loadFixture } from './fixtures.js';

interface Special {
  chi2: { x: number; dof: number; sf: number }[];
  gammaln: { x: number; value: number }[];
  kstwo: { n: number; d: number; sf: number }[];
  smirnov: { n: number; d: number; sf: number }[];
}
const special = loadFixture<Special>('special-functions.json');

describe('special functions against scipy', () => {
  it('logGamma matches scipy.special.gammaln', () => {
    for (const { x, value } of special.gammaln) expectClose(logGamma(x), value, { rtol: 1e-13, atol: 1e-14 }, `gammaln(${x})`);
  });

  it('chiSquareSf matches scipy.stats.chi2.sf, deep into the tail', () => {
    for (const { x, dof, sf } of special.chi2) expectClose(chiSquareSf(x, dof), sf, { rtol: 1e-10, atol: 1e-300 }, `chi2.sf(${x}, ${dof})`);
  });

  it('regularised gamma P + Q = 1', () => {
    for (const [a, x] of [[0.5, 0.2], [3, 2], [3, 10], [500, 480], [500, 530]] as const) {
      expect(regularizedGammaP(a, x) + regularizedGammaQ(a, x)).toBeCloseTo(1, 14);
    }
  });

  it('smirnovSf matches scipy.special.smirnov', () => {
    for (const { n, d, sf } of special.smirnov) expectClose(smirnovSf(n, d), sf, { rtol: 1e-9, atol: 1e-15 }, `smirnov(${n}, ${d})`);
  });

  it('kolmogorovSf matches scipy.stats.kstwo.sf on every branch (Durbin, Pomeranz, Pelz-Good, Smirnov)', () => {
    for (const { n, d, sf } of special.kstwo) expectClose(kolmogorovSf(n, d), sf, { rtol: 1e-9, atol: 1e-14 }, `kstwo.sf(${d}, ${n})`);
  });

  it('never returns NaN for valid arguments at the edges', () => {
    for (const n of [1, 2, 140, 141, 100_000]) {
      for (const d of [0, 1e-12, 0.5 / n, 1 / n, 0.5, 1 - 1e-12, 1]) expect(Number.isNaN(kolmogorovSf(n, d))).toBe(false);
    }
    expect(chiSquareSf(0, 3)).toBe(1);
    expect(chiSquareSf(1e6, 3)).toBe(0);
  });
});
