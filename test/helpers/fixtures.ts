/** The ONNX backend conformance cases copied into test/fixtures/onnx-backend. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

export const FIXTURE_ROOT = new URL('../fixtures/onnx-backend/', import.meta.url).pathname;

/** A tensor as the fixture JSON holds it. */
export interface FixtureTensor {
  datatype: string;
  shape: number[];
  data: (number | string)[];
}

/** One conformance case: a model and the outputs expected for its inputs. */
export interface FixtureCase {
  name: string;
  model: string;
  inputs: Record<string, FixtureTensor>;
  outputs: Record<string, FixtureTensor>;
}

/**
 * Reads every case. A few expected values are NaN or Infinity, written as bare tokens JSON
 * cannot carry; they are read as the strings Berth writes for them.
 */
export function fixtureCases(): FixtureCase[] {
  const cases: FixtureCase[] = [];
  for (const dir of readdirSync(FIXTURE_ROOT, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const file of readdirSync(join(FIXTURE_ROOT, dir.name))) {
      if (!file.endsWith('.json')) continue;
      const text = readFileSync(join(FIXTURE_ROOT, dir.name, file), 'utf8').replace(/(?<=[[,:\s])(-?Infinity|NaN)(?=[\],\s}])/g, '"$1"');
      const json = JSON.parse(text) as { inputs: FixtureCase['inputs']; outputs: FixtureCase['outputs'] };
      const name = file.slice(0, -'.json'.length);
      cases.push({ name, model: join(FIXTURE_ROOT, dir.name, `${name}.onnx`), inputs: json.inputs, outputs: json.outputs });
    }
  }
  return cases.sort((a, b) => a.name.localeCompare(b.name));
}

/** What the StringNormalizer cases need from the machine, for skip messages. */
export const LOCALE_NEEDED =
  'the en_US.UTF-8 locale, which onnxruntime\'s StringNormalizer opens (Debian: apt-get install locales, uncomment en_US.UTF-8 in /etc/locale.gen, run locale-gen; .ci/run does this)';

/** True for the cases whose model uses StringNormalizer, which loads only where the locale exists. */
export function needsLocale(c: FixtureCase): boolean {
  return c.name.startsWith('test_strnorm_');
}

/**
 * Whether this machine can load the StringNormalizer cases: asks onnxruntime itself, loading one,
 * since only it knows which locale it opens and how.
 */
export async function hasStringNormalizerLocale(): Promise<boolean> {
  const probe = fixtureCases().find(needsLocale);
  if (probe === undefined) return true;
  try {
    await (await ort.InferenceSession.create(probe.model, { logSeverityLevel: 4 })).release();
    return true;
  } catch (error) {
    if (error instanceof Error && /locale/i.test(error.message)) return false;
    throw error;
  }
}

function asNumber(v: number | string): number {
  return typeof v === 'number' ? v : Number(v);
}

/**
 * Compares values with the suite's tolerance: relative 1e-3 (plus a tiny absolute term for
 * values near zero), NaN equal to NaN, exact for strings. Returns the first mismatch or undefined.
 */
export function firstMismatch(actual: readonly unknown[], expected: readonly (number | string)[]): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length} != ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i] as number | string;
    if (typeof e === 'string' && !['NaN', 'Infinity', '-Infinity'].includes(e)) {
      if (a !== e) return `[${i}] ${JSON.stringify(a)} != ${JSON.stringify(e)}`;
      continue;
    }
    const ev = asNumber(e);
    const av = asNumber(a);
    if (Number.isNaN(ev) && Number.isNaN(av)) continue;
    if (ev === av) continue;
    if (!(Math.abs(av - ev) <= 1e-3 * Math.abs(ev) + 1e-6)) return `[${i}] ${a} != ${e}`;
  }
  return undefined;
}
