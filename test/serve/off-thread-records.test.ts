/**
 * Named-feature bodies (JSON and CSV, on `/api/models/{ref}/predict` and MLflow's
 * `/invocations`) at or above `server.offThreadBodyBytes` are parsed, validated and encoded in
 * the body codec workers, and answers about as large are decoded and written there: two replicas
 * of one registry, one keeping every body and answer on the event loop and one sending every one
 * to a worker, answer the same requests, good and bad, with the same bytes; a large body is
 * answered while the health route keeps answering; and such requests reach a deployment's
 * shadows, whether they encode rows as the answering version does or not.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBodyCodecTask } from '../../dist/serve/http/body-codec-tasks.js';
import type { RunningServer } from '../../dist/serve/server.js';
import { tempDir, writeIdentityModel } from '../helpers/models.js';
import { eventually, startRegistryServer } from '../helpers/server.js';
import { trainBundle } from '../helpers/trained.js';

let inline: Awaited<ReturnType<typeof startRegistryServer>>;
let offThread: RunningServer;

const setosa = { sepal_length_cm: 5.1, sepal_width_cm: 3.5, petal_length_cm: 1.4, petal_width_cm: 0.2 };
const virginica = { sepal_length_cm: 7.7, sepal_width_cm: 3.0, petal_length_cm: 6.1, petal_width_cm: 2.3 };

beforeAll(async () => {
  const home = tempDir();
  inline = await startRegistryServer(home, { server: { offThreadBodyBytes: 0, mlflowModel: 'iris' } });
  await inline.registry.register(await trainBundle('iris.csv', 'species', 'iris'), { aliases: ['production'] });
  await inline.registry.register(writeIdentityModel(tempDir(), 'FP32'), { name: 'tensors', aliases: ['production'] });
  offThread = await startRegistryServer(home, { server: { offThreadBodyBytes: 1, mlflowModel: 'iris' } });
  for (const server of [inline, offThread]) {
    for (let i = 0; i < 200 && (await fetch(`${server.url}/v2/models/iris`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 200 && (await fetch(`${server.url}/v2/models/tensors`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
  }
}, 120_000);

afterAll(async () => {
  await Promise.all([inline?.close(), offThread?.close()]);
});

/** An answer's status, content type and body, its request ids blanked (they differ from server to server). */
async function sendRaw(server: RunningServer, path: string, body: string, contentType = 'application/json'): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const text = (await response.text()).replace(/"requestId":"[^"]*"/g, '"requestId":""');
  return { status: response.status, type: response.headers.get('content-type'), text };
}

async function send(server: RunningServer, path: string, body: string): Promise<{ status: number; body: unknown }> {
  const { status, text } = await sendRaw(server, path, body);
  const { requestId: _id, ...rest } = JSON.parse(text) as Record<string, unknown>;
  return { status, body: rest };
}

const CSV_HEADER = 'sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm';

const CASES: readonly (readonly [string, string, string, string?])[] = [
  ['CSV', '/api/models/iris/predict', `${CSV_HEADER}\n5.1,3.5,1.4,0.2\n7.7,3.0,6.1,2.3\n`, 'text/csv'],
  ['CSV with a byte order mark and an extra column', '/api/models/iris/predict', `\uFEFF${CSV_HEADER},colour\n5.1,3.5,1.4,0.2,blue\n`, 'text/csv'],
  ['CSV with a bad value', '/api/models/iris/predict', `${CSV_HEADER}\n5.1,3.5,long,0.2\n`, 'text/csv'],
  ['CSV that cannot be read', '/api/models/iris/predict', `${CSV_HEADER}\n"5.1,3.5,1.4,0.2\n`, 'application/csv'],
  ['CSV with a header only', '/api/models/iris/predict', `${CSV_HEADER}\n`, 'text/csv'],
  ['MLflow dataframe_split', '/invocations', JSON.stringify({ dataframe_split: { columns: Object.keys(setosa), data: [Object.values(setosa), Object.values(virginica)] } })],
  ['MLflow instances', '/invocations', JSON.stringify({ instances: [setosa, virginica] })],
  ['MLflow CSV', '/invocations', `${CSV_HEADER}\n5.1,3.5,1.4,0.2\n`, 'text/csv'],
  ['MLflow with a bad value', '/invocations', JSON.stringify({ dataframe_records: [{ ...setosa, sepal_width_cm: 'wide' }] })],
  ['MLflow not JSON', '/invocations', '{"instances": '],
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
  const typed = CASES.map(([name, path, body, type]): [string, string, string, string] => [name, path, body, type ?? 'application/json']);
  it.each(typed)('answer as inline ones, byte for byte: %s', async (_name, path, body, type) => {
    const [expected, actual] = await Promise.all([sendRaw(inline, path, body, type), sendRaw(offThread, path, body, type)]);
    expect(actual).toEqual(expected);
  });

  it('writes a large answer in a worker with the bytes the event loop writes, for JSON and CSV bodies, MLflow\'s too', async () => {
    const rows = Array.from({ length: 30_000 }, (_, i) => ({ ...(i % 3 === 0 ? setosa : virginica), petal_width_cm: (i % 25) / 10, colour: 'blue' }));
    const csv = ['sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm', ...rows.map((r) => `${r.sepal_length_cm},${r.sepal_width_cm},${r.petal_length_cm},${r.petal_width_cm}`)].join('\n');
    for (const [body, type] of [
      [JSON.stringify({ records: rows }), 'application/json'],
      [csv, 'text/csv'],
    ] as const) {
      const [expected, actual] = await Promise.all([sendRaw(inline, '/api/models/iris/predict', body, type), sendRaw(offThread, '/api/models/iris/predict', body, type)]);
      expect(actual.status).toBe(200);
      // Over a MiB, so sent a slice at a time.
      expect(actual.text.length).toBeGreaterThan(2 ** 20);
      expect(actual).toEqual(expected);
      // MLflow's answer, a label per row, too.
      const [inlineLabels, offThreadLabels] = await Promise.all([sendRaw(inline, '/invocations', body, type), sendRaw(offThread, '/invocations', body, type)]);
      expect(offThreadLabels.status).toBe(200);
      expect(offThreadLabels).toEqual(inlineLabels);
    }
  }, 60_000);

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

/** The comparison report of a shadow on the off-thread replica, once it has run `requests` copies. */
async function comparison(shadow: number, requests: number): Promise<Record<string, unknown> & { requests: number }> {
  let report: Record<string, unknown> & { requests: number } = { requests: -1 };
  await eventually(async () => {
    report = (await (await fetch(`${offThread.url}/api/models/flowers/shadows/${shadow}/comparison`)).json()) as typeof report;
    return report.requests >= requests;
  }, 20_000);
  return report;
}

describe('large named-feature bodies copied to shadows', () => {
  it('runs a shadow that encodes alike and one that encodes its own way, compared on the first 1,024 rows', async () => {
    // flowers:1 answers; flowers:2 is the same model and pipeline (another bundle); flowers:3 is
    // gradient-boosted trees, whose pipeline encodes the rows differently.
    const linear = await trainBundle('iris.csv', 'species', 'flowers');
    const copy = join(tempDir(), 'bundle');
    cpSync(linear, copy, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(copy, 'berth.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(copy, 'berth.json'), JSON.stringify({ ...manifest, description: 'the same model again' }));
    await inline.registry.register(linear, { name: 'flowers', aliases: ['production'] });
    await inline.registry.register(copy, { name: 'flowers' });
    await inline.registry.register(await trainBundle('iris.csv', 'species', 'flowers', 'gbdt'), { name: 'flowers' });
    const pipelines = await Promise.all(
      [1, 3].map(async (v) => JSON.stringify((await inline.registry.getVersion('flowers', v)).manifest.pipeline)),
    );
    expect(pipelines[0]).not.toBe(pipelines[1]);
    const put = await fetch(`${offThread.url}/api/models/flowers/deployment`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ shadows: [{ version: 2, sample: 1 }, { version: 3, sample: 1 }] }),
    });
    expect(put.status, await put.clone().text()).toBe(200);

    const rows = Array.from({ length: 3_000 }, (_, i) => ({
      sepal_length_cm: 4.5 + (i % 10) * 0.35,
      sepal_width_cm: 2.2 + (i % 7) * 0.25,
      petal_length_cm: 1 + (i % 15) * 0.4,
      petal_width_cm: 0.1 + (i % 12) * 0.2,
    }));
    const body = JSON.stringify({ records: rows });
    const answered = await fetch(`${offThread.url}/api/models/flowers/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(answered.status).toBe(200);
    expect(answered.headers.get('x-berth-model-version')).toBe('1');
    const labelsOf = async (ref: string) => ((await send(offThread, `/api/models/${ref}/predict`, body)).body as { predictions: { label: string }[] }).predictions.map((p) => p.label);
    const primary = ((await answered.json()) as { predictions: { label: string }[] }).predictions.map((p) => p.label);
    expect(primary).toEqual(await labelsOf('flowers:1'));
    const challenger = (await labelsOf('flowers:3')).slice(0, 1024);
    const agreed = primary.slice(0, 1024).filter((label, i) => label === challenger[i]).length;

    const alike = await comparison(2, 1);
    expect(alike).toMatchObject({ requests: 1, dropped: 0, failed: 0, rows: 1024, agreement: { labels: 1024, rate: 1 } });
    expect((alike.differences as { meanAbsolute: number }).meanAbsolute).toBe(0);
    const own = await comparison(3, 1);
    expect(own).toMatchObject({ requests: 1, dropped: 0, failed: 0, rows: 1024, agreement: { labels: 1024, rate: agreed / 1024 } });
    const metrics = await (await fetch(`${offThread.url}/metrics`)).text();
    expect(metrics).toMatch(/berth_shadow_requests_total\{model="flowers",version="3",outcome="answered"\} 1\b/);
  }, 120_000);
});

describe('rows encoded for a shadow in the worker', () => {
  it('fail only the shadow\'s encoding when its schema refuses a row the answering version takes', async () => {
    const { manifest } = await inline.registry.getVersion('iris', 1);
    const schema = manifest.schema!;
    const spec = manifest.pipeline!;
    // Strict refuses a number outside the training range; the answering schema answers it with a warning.
    const json = new TextEncoder().encode(JSON.stringify({ records: [setosa, { ...virginica, petal_length_cm: 100 }] }));
    const result = runBodyCodecTask({ kind: 'records-request', body: json, format: 'json', pipelines: [{ schema, spec }, { schema: { ...schema, strict: true }, spec }, { schema, spec }] });
    if (!result.ok) throw new Error(result.error.message);
    const { tensor, rows, valueWarnings, others } = result.value as unknown as { tensor: { data: Float32Array }; rows: number; valueWarnings: unknown[]; others: unknown[] };
    expect(rows).toBe(2);
    expect(valueWarnings).toHaveLength(1);
    expect(others).toHaveLength(2);
    expect(others[0]).toMatchObject({ error: { code: 'BERTH_SCHEMA_OUT_OF_RANGE' } });
    expect([...(others[1] as { data: Float32Array }).data]).toEqual([...tensor.data]);
  });
});
