/**
 * Berth against its own Open Inference Protocol conformance suite (src/conformance): the same check
 * definitions `berth conformance <url>` runs against any server, here under the `berth` profile
 * (catalogue codes and messages too), one test per check, against a real server serving the
 * suite's models.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { OIP_CHECKS, httpContext, writeConformanceModels } from '../../dist/conformance/index.js';
import type { RunningServer } from '../../dist/serve/server.js';
import { tempDir } from '../helpers/models.js';
import { startTestServer } from '../helpers/server.js';

let server: RunningServer;

beforeAll(async () => {
  server = await startTestServer(await writeConformanceModels(tempDir()));
});
afterAll(async () => {
  await server?.close();
});

describe('the Open Inference Protocol conformance suite, run against Berth', () => {
  // In order: the last error check requires the server to still answer after all the bad requests.
  it.each(OIP_CHECKS.map((c) => [c.id, c] as const))('%s', async (_id, check) => {
    await check.run(httpContext(server.url, 'berth'));
  });
});
