/**
 * Named-feature bodies at or above `server.offThreadBodyBytes` are parsed, validated and encoded
 * in the body codec workers: two replicas of one registry, one keeping every body on the event
 * loop and one sending every JSON body to a worker, answer the same requests, good and bad, alike;
 * and a large body is answered while the health route keeps answering.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../dist/serve/server.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';
import { startRegistryServer } from '../helpers/server.js';
import { trainBundle } from '../helpers/trained.js';

let inline: Awaited<ReturnType<typeof startRegistryServer>>;
let offThread: RunningServer;

const setosa = { sepal_length_cm: 5.1, sepal_width_cm: 3.5, petal_length_cm: 1.4, petal_width_cm: 0.2 };
const virginica = { sepal_length_cm: 7.7, sepal_width_cm: 3.0, petal_length_cm: 6.1, petal_width_cm: 2.3 };

beforeAll(async () => {
  const home = tempDir();
  inline = await startRegistryServer(home, { server: { offThreadBodyBytes: 0 } });
  await inline.registry.register(await trainBundle('iris.csv', 'species', 'iris'), { aliases: ['production'] });
  await inline.registry.register(writeIdentityModel(tempDir(), 'FP32'), { name: 'tensors', aliases: ['production'] });
  offThread = await startRegistryServer(home, { server: { offThreadBodyBytes: 1 } });
  for (const server of [inline, offThread]) {
    for (let i = 0; i < 200 && (await fetch(`${server.url}/v2/models/iris`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 200 && (await fetch(`${server.url}/v2/models/tensors`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
  }
}, 120_000);

afterAll(async () => {
  await Promise.all([inline?.close(), offThread?.close()]);
});

async function send(server: RunningServer, path: string, body: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const json = (await response.json()) as Record<string, unknown>;
  // Request ids differ from server to server.
  const { requestId: _id, ...rest } = json;
  const error = rest.error as Record<string, unknown> | undefined;
  if (error) delete error.requestId;
  return { status: response.status, body: rest };
}

const CASES: readonly (readonly [string, string, string])[] = [
  ['records', '/api/models/iris/predict', JSON.stringify({ records: [setosa, virginica] })],
  ['columns', '/api/models/iris/predict', JSON.stringify({ columns: { sepal_length_cm: [5.1], sepal_width_cm: [3.5], petal_length_cm: [1.4], petal_width_cm: [0.2] } })],
  ['an unknown field, warned of', '/api/models/iris/predict', JSON.stringify({ records: [{ ...setosa, colour: 'blue' }] })],
  ['a bad value in row 1', '/api/models/iris/predict', JSON.stringify({ records: [setosa, { ...virginica, petal_length_cm: 'long' }] })],
  ['a missing feature', '/api/models/iris/predict', JSON.stringify({ records: [{ sepal_length_cm: 5 }] })],
  ['no rows', '/api/models/iris/predict', JSON.stringify({ records: [] })],
  ['not JSON', '/api/models/iris/predict', '{"records": ['],
  ['no known shape', '/api/models/iris/predict', '{"rows": []}'],
  ['a prototype key', '/api/models/iris/predict', '{"records": [{"__proto__": {"x": 1}}]}'],
  ['a model without a schema', '/api/models/tensors/predict', JSON.stringify({ records: [setosa] })],
  ['an unknown model', '/api/models/nope/predict', JSON.stringify({ records: [setosa] })],
];

describe('named-feature bodies decoded in worker threads', () => {
  it.each(CASES)('answer as inline ones: %s', async (_name, path, body) => {
    const [expected, actual] = await Promise.all([send(inline, path, body), send(offThread, path, body)]);
    expect(actual).toEqual(expected);
  });

  it('answers a large body correctly while the health route keeps answering', async () => {
    const rows = Array.from({ length: 60_000 }, (_, i) => (i % 2 === 0 ? setosa : virginica));
    const body = JSON.stringify({ records: rows });
    expect(body.length).toBeGreaterThan(5_000_000);
    let probing = true;
    let probes = 0;
    const probe = (async () => {
      while (probing) {
        const response = await fetch(`${offThread.url}/v2/health/live`);
        expect(response.status).toBe(200);
        probes += 1;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const [expected, actual] = await Promise.all([send(inline, '/api/models/iris/predict', body), send(offThread, '/api/models/iris/predict', body)]);
    probing = false;
    await probe;
    expect(actual.status).toBe(200);
    const predictions = (actual.body as { predictions: { label: string }[] }).predictions;
    expect(predictions).toHaveLength(rows.length);
    expect(predictions.slice(0, 4).map((p) => p.label)).toEqual(['setosa', 'virginica', 'setosa', 'virginica']);
    expect(actual).toEqual(expected);
    expect(probes).toBeGreaterThan(0);
    const metrics = await (await fetch(`${offThread.url}/metrics`)).text();
    const lag = Number(/^berth_nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(metrics)?.[1]);
    expect(Number.isFinite(lag)).toBe(true);
  }, 60_000);
});
