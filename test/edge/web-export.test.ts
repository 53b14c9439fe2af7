/**
 * `berth export --target web` in a real browser (Debian's Chromium, headless, via playwright-core):
 * the exported folder, served by a plain static server, loads the loans model in onnxruntime-web,
 * builds its form from the schema, and predicts what the server predicts; the ONNX backend
 * conformance cases that onnxruntime-web runs give the reference outputs within the suite's
 * tolerance, and those it cannot run are listed (and must stay the known list), not hidden.
 * Every request the page makes goes to the folder's own server.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainBundle } from '../../dist/app/train-bundle.js';
import { type Datatype, type TensorData, datatypeInfo } from '../../dist/core/datatypes.js';
import { tensorDataToValues } from '../../dist/core/tensor.js';
import { openRegistry } from '../../dist/registry/index.js';
import type { RunningServer } from '../../dist/serve/server.js';
import { runBerth } from '../helpers/cli.js';
import { FIXTURE_ROOT, type FixtureCase, fixtureCases, firstMismatch } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/models.js';
import { postJson, startRegistryServer } from '../helpers/server.js';
import { type StaticServer, serveFolders } from '../helpers/static-folder.js';
import { DATASETS } from '../helpers/trained.js';
import { NO_BROWSER, launchBrowser, watchedPage } from '../web/browser.js';

/**
 * The conformance cases onnxruntime-web 1.30 (WebAssembly) refuses, with the reason it gives, as
 * the README documents ("berth export"): none today, legacy opsets included (they run through the
 * server's rewrite). A case joining this list (or leaving it) fails the test, so the list stays true.
 */
const KNOWN_UNSUPPORTED: Readonly<Record<string, RegExp>> = {};

const rows = (parse(readFileSync(join(DATASETS, 'loans_current_stable.csv'), 'utf8'), { columns: true }) as Record<string, string>[])
  .slice(0, 200)
  .map(({ defaulted: _target, ...features }) => features);

let home: string;
let exported: string;
let server: RunningServer;
let files: StaticServer;
let browser: Browser;

describe.skipIf(NO_BROWSER !== undefined)(`berth export --target web in Chromium${NO_BROWSER ? ` (skipped: ${NO_BROWSER})` : ''}`, () => {
  beforeAll(async () => {
    const dir = tempDir('berth-web-export-');
    home = join(dir, 'home');
    const bundleDir = join(dir, 'loans.bundle');
    await trainBundle({ csv: { file: join(DATASETS, 'loans_reference.csv') }, target: 'defaulted', algorithm: 'linear', seed: 7, name: 'loans', outDir: bundleDir });
    const registry = await openRegistry({ home, actor: { interface: 'test' } });
    await registry.register(bundleDir, { aliases: ['production'] });
    await registry.close();
    exported = join(dir, 'loans-web');
    const result = await runBerth(['export', 'loans@production', '--target', 'web', '-o', exported, '--home', home, '--json']);
    expect(result.code, result.stderr).toBe(0);
    server = await startRegistryServer(home);
    files = await serveFolders({ '/': exported, '/fixtures/': FIXTURE_ROOT });
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await files?.close();
    await server?.close();
  });

  /** A page of the exported folder, with every request it makes checked to stay on the folder's server. */
  async function openExportedPage(): Promise<{ page: Page; problems: string[]; foreign: string[] }> {
    const { page, problems } = await watchedPage(browser);
    const foreign: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(`${files.url}/`)) foreign.push(request.url());
    });
    await page.goto(`${files.url}/index.html`);
    await page.waitForSelector('body[data-state]', { timeout: 60_000 });
    expect(await page.getAttribute('body', 'data-state')).toBe('ready');
    return { page, problems, foreign };
  }

  it('writes a self-contained folder: the page, model.js, the WebAssembly runtime and the bundle', () => {
    for (const file of ['index.html', 'model.js', 'ort-wasm-simd-threaded.wasm', 'bundle/berth.json', 'bundle/model.onnx', 'README.md']) {
      expect(() => readFileSync(join(exported, file)), file).not.toThrow();
    }
    expect(readFileSync(join(exported, 'model.js'), 'utf8')).not.toMatch(/cdn\.jsdelivr|unpkg\.com/);
  });

  it('predicts the loans model as the server does, from a form built from the schema', async () => {
    const { page, problems, foreign } = await openExportedPage();
    const { json } = await postJson(`${server.url}/api/models/loans@production/predict`, { records: rows });
    const expected = json.predictions as { label: string; probabilities: Record<string, number> }[];

    // The whole batch through model.predict in the page.
    const actual = (await page.evaluate((records) => (globalThis as unknown as { berthModel: { predict(r: unknown[]): Promise<{ predictions: unknown[] }> } }).berthModel.predict(records), rows)) as {
      predictions: { label: string; probabilities: Record<string, number> }[];
    };
    expect(actual.predictions).toHaveLength(rows.length);
    let maxDifference = 0;
    actual.predictions.forEach((prediction, i) => {
      const want = expected[i]!;
      const labels = Object.keys(want.probabilities);
      expect(Object.keys(prediction.probabilities)).toEqual(labels);
      const got = labels.map((l) => prediction.probabilities[l]!);
      const wanted = labels.map((l) => want.probabilities[l]!);
      expect(firstMismatch(got, wanted), `row ${i}`).toBeUndefined();
      for (let c = 0; c < got.length; c++) maxDifference = Math.max(maxDifference, Math.abs(got[c]! - wanted[c]!));
      // The label is the argmax: it may differ only where two probabilities tie within tolerance.
      const sorted = [...wanted].sort((a, b) => b - a);
      if (sorted[0]! - sorted[1]! > 1e-3) expect(prediction.label, `row ${i}`).toBe(want.label);
    });
    console.log(`loans in Chromium vs the server: ${rows.length} rows, largest probability difference ${maxDifference.toExponential(2)}`);

    // One row through the form: every feature has a control, the answer shows the server's label.
    const features = JSON.parse(readFileSync(join(exported, 'bundle/berth.json'), 'utf8')).schema.features as { name: string }[];
    expect(await page.locator('form [name]').count()).toBe(features.length);
    const row = rows[7]!;
    for (const [name, value] of Object.entries(row)) {
      const control = page.locator(`[name="${name}"]`);
      if ((await control.evaluate((e) => e.tagName)) === 'SELECT') await control.selectOption(value === '' ? '' : value);
      else await control.fill(value);
    }
    await page.getByRole('button', { name: 'Predict' }).click();
    await expect.poll(() => page.locator('#result h2').textContent()).toBe(`Prediction: ${expected[7]!.label}`);

    // A bad value gets the server's message and code, on the page.
    await page.locator('[name="credit_score"]').evaluate((e) => e.setAttribute('type', 'text'));
    await page.locator('[name="credit_score"]').fill('high');
    await page.getByRole('button', { name: 'Predict' }).click();
    const bad = await postJson(`${server.url}/api/models/loans@production/predict`, { records: [{ ...row, credit_score: 'high' }] });
    await expect.poll(() => page.locator('#result .error').textContent()).toBe(`${bad.json.error} [${bad.json.code}]`);

    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it('runs the ONNX conformance cases onnxruntime-web supports, and lists those it does not', async () => {
    const { page, foreign } = await openExportedPage();
    // The module the page imported, for scripts: openModel loads plain ONNX by URL.
    await page.addScriptTag({ type: 'module', content: "import * as m from './model.js'; globalThis.berthModule = m;" });
    await page.waitForFunction(() => 'berthModule' in globalThis);
    const cases = fixtureCases();
    const unsupported: Record<string, string> = {};
    const mismatched: string[] = [];
    let passed = 0;
    const rewritten: string[] = [];
    for (const c of cases) {
      const outcome = await runCase(page, c);
      if ('error' in outcome) {
        unsupported[c.name] = outcome.error;
        continue;
      }
      if (outcome.rewrites.length > 0) rewritten.push(c.name);
      for (const [name, want] of Object.entries(c.outputs)) {
        const got = outcome.outputs.find((o) => o.name === name);
        const values = got ? tensorDataToValues(got.datatype, got.data).map((v) => (typeof v === 'bigint' ? Number(v) : v)) : [];
        const problem = !got ? 'missing' : got.datatype !== want.datatype ? `datatype ${got.datatype}` : JSON.stringify(got.shape) !== JSON.stringify(want.shape) ? `shape ${JSON.stringify(got.shape)}` : firstMismatch(values, want.data);
        if (problem !== undefined) mismatched.push(`${c.name} ${name}: ${problem}`);
      }
      passed++;
    }
    const list = Object.entries(unsupported).map(([name, error]) => `  ${name}: ${error.split('\n')[0]!.slice(0, 200)}`);
    console.log(`ONNX conformance in Chromium (onnxruntime-web): ${passed} of ${cases.length} cases run and match; ${rewritten.length} of them through Berth's rewrite of legacy opsets (runtime/onnx-compat.ts), as on the server; ${list.length} unsupported${list.length ? `:\n${list.join('\n')}` : ''}`);
    expect(mismatched).toEqual([]);
    expect(Object.keys(unsupported).sort()).toEqual(Object.keys(KNOWN_UNSUPPORTED).sort());
    for (const [name, reason] of Object.entries(KNOWN_UNSUPPORTED)) expect(unsupported[name], name).toMatch(reason);
    expect(foreign.filter((url) => !url.includes('/fixtures/'))).toEqual([]);
    await page.close();
  }, 300_000);
});

/** What the page's model.js exports, as far as these tests use it. */
interface ModelModule {
  openModel(
    url: string,
    options: { name: string },
  ): Promise<{ rewrites: readonly string[]; infer(t: unknown[]): Promise<{ name: string; datatype: string; shape: number[]; data: ArrayLike<unknown> }[]>; close(): Promise<void> }>;
}

interface PageTensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: TensorData;
}

/** Loads one case's model in the page by URL and runs its inputs; the outputs come back as typed data. */
async function runCase(page: Page, c: FixtureCase): Promise<{ outputs: PageTensor[]; rewrites: string[] } | { error: string }> {
  const url = `/fixtures/${c.model.slice(FIXTURE_ROOT.length)}`;
  const inputs = Object.entries(c.inputs).map(([name, t]) => ({ name, ...t }));
  const result = (await page.evaluate(
    async ({ url, inputs, name }) => {
      const { openModel } = (globalThis as unknown as { berthModule: ModelModule }).berthModule;
      let model;
      try {
        model = await openModel(url, { name });
        const outputs = await model.infer(inputs);
        return { rewrites: [...model.rewrites], outputs: outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape, data: Array.from(o.data, (v) => (typeof v === 'bigint' ? String(v) : v)) })) };
      } catch (error) {
        return { error: `${(error as Error).message}` };
      } finally {
        await model?.close();
      }
    },
    { url, inputs, name: c.name },
  )) as { outputs: { name: string; datatype: Datatype; shape: number[]; data: unknown[] }[]; rewrites: string[] } | { error: string };
  if ('error' in result) return result;
  return {
    rewrites: result.rewrites,
    outputs: result.outputs.map((o) => {
      // 64-bit integers travel from the page as decimal strings.
      const info = datatypeInfo(o.datatype);
      const data = info.allocate(o.data.length) as unknown as unknown[];
      o.data.forEach((v, i) => (data[i] = info.kind === 'bigint' ? BigInt(v as string) : v));
      return { ...o, data: data as unknown as TensorData };
    }),
  };
}
