/**
 * berth/client runs in browsers: bundled for the web by Vite with no Node polyfills (the bundle
 * must hold no import of anything), then loaded into Debian's headless Chromium on the origin of
 * a real Berth server, where it infers over JSON and binary with exact 64-bit integers.
 */
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as ClientModule from '../../dist/client/index.js';
import type { RunningServer } from '../../dist/serve/server.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';
import { startTestServer } from '../helpers/server.js';
import { NO_BROWSER, launchBrowser, watchedPage } from '../web/browser.js';

const ENTRY = fileURLToPath(new URL('../../dist/client/index.js', import.meta.url));

/** The client bundled as one browser script that sets `globalThis.BerthClientLib`. */
async function browserBundle(): Promise<string> {
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    build: { write: false, minify: false, lib: { entry: ENTRY, formats: ['iife'], name: 'BerthClientLib', fileName: 'berth-client' } },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as { output: { type: string; code?: string }[] }[];
  const chunks = outputs.flatMap((o) => o.output).filter((c) => c.type === 'chunk');
  expect(chunks).toHaveLength(1);
  return chunks[0]!.code!;
}

describe('berth/client in a browser', () => {
  let bundle: string;
  beforeAll(async () => {
    bundle = await browserBundle();
  });

  it('bundles without Node built-ins or dependencies', () => {
    expect(bundle).not.toMatch(/__vite-browser-external|require\(|\bnode:|from ['"]/);
    expect(bundle).toContain('exports.BerthClient = BerthClient;');
  });

  describe.skipIf(NO_BROWSER !== undefined)(`in Chromium${NO_BROWSER ? ` (skipped: ${NO_BROWSER})` : ''}`, () => {
    let server: RunningServer;
    let browser: Browser;
    beforeAll(async () => {
      const dir = tempDir();
      server = await startTestServer(['INT64', 'FP16', 'BYTES'].map((dt) => ({ name: dt.toLowerCase(), path: writeIdentityModel(dir, dt) })));
      browser = await launchBrowser();
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it('infers over JSON and binary, keeps INT64 exact and reports catalogue codes', async () => {
      const { page, problems } = await watchedPage(browser, { allow: [/404 \(Not Found\)/] });
      // A page on the server's own origin, so the client's requests are same-origin.
      await page.goto(`${server.url}/v2/health/live`);
      await page.addScriptTag({ content: bundle });
      const answers = await page.evaluate(async () => {
        const { BerthClient, tensor, BerthServerError } = (globalThis as unknown as { BerthClientLib: typeof ClientModule }).BerthClientLib;
        const client = new BerthClient({ url: (globalThis as unknown as { location: { origin: string } }).location.origin });
        const ints = tensor('x', 'INT64', [1, 3], [-9223372036854775808n, 9007199254740993n, 9223372036854775807n]);
        const json = await client.infer('int64', [ints]);
        const binary = await client.infer('int64', [ints], { binary: true });
        const half = await client.infer('fp16', [tensor('x', 'FP16', [1, 3], [0.1, 65504, -2])], { binary: true });
        const text = await client.infer('bytes', [tensor('x', 'BYTES', [1, 3], ['', 'héllo', '日本語'])], { binary: true });
        let code = '';
        try {
          await client.modelMetadata('nope');
        } catch (error) {
          code = error instanceof BerthServerError ? `${error.status} ${error.code}` : String(error);
        }
        return {
          live: await client.live(),
          json: Array.from(json.output('y').data as BigInt64Array, String),
          binary: Array.from(binary.output('y').data as BigInt64Array, String),
          kind: (binary.output('y').data as object).constructor.name,
          half: Array.from(half.output('y').data as Float32Array),
          text: text.output('y').data,
          code,
        };
      });
      expect(answers).toEqual({
        live: true,
        json: ['-9223372036854775808', '9007199254740993', '9223372036854775807'],
        binary: ['-9223372036854775808', '9007199254740993', '9223372036854775807'],
        kind: 'BigInt64Array',
        half: [0.0999755859375, 65504, -2],
        text: ['', 'héllo', '日本語'],
        code: '404 BERTH_MODEL_NOT_FOUND',
      });
      expect(problems).toEqual([]);
    });
  });
});
