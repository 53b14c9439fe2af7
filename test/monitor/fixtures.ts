/**
 * Reads the expected values written by scripts/scipy-reference.py, and compares numbers with an
 * absolute-plus-relative tolerance that reports which case failed.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { expect } from 'vitest';

/** A fixture from test/monitor/fixtures (`.json` or gzipped `.json.gz`). */
export function loadFixture<T>(name: string): T {
  const bytes = readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
  return JSON.parse((name.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8')) as T;
}

/** |actual - expected| / |expected| (the absolute difference when expected is 0). */
export function relativeError(actual: number, expected: number): number {
  const diff = Math.abs(actual - expected);
  return expected === 0 ? diff : diff / Math.abs(expected);
}

/** Expects |actual - expected| <= atol + rtol |expected|, naming the case when it is not. */
export function expectClose(actual: number, expected: number, tolerance: { rtol?: number; atol?: number }, what: string): void {
  const { rtol = 0, atol = 0 } = tolerance;
  const ok = Number.isFinite(actual) && Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
  expect(ok, `${what}: got ${actual}, scipy says ${expected} (rtol ${rtol}, atol ${atol})`).toBe(true);
}

/** The loans data set's columns (reference and two current windows), as copied by the script. */
export interface LoansColumns {
  readonly reference: Readonly<Record<string, readonly (number | string | null)[]>>;
  readonly current_stable: Readonly<Record<string, readonly (number | string | null)[]>>;
  readonly current_drifted: Readonly<Record<string, readonly (number | string | null)[]>>;
}

/** The loans columns. */
export function loadLoans(): LoansColumns {
  return loadFixture<{ columns: LoansColumns }>('loans.json.gz').columns;
}

/** Finite numbers of a column (missing values dropped), as scipy saw them. */
export function finiteColumn(column: readonly (number | string | null)[]): number[] {
  return column.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}
