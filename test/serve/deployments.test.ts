/**
 * Deployments served: a model's plain name split between variants by weight (within binomial
 * bounds over thousands of requests), sticky keys meeting the same variant on every protocol,
 * every answer naming its version, policies changed through the API with bad ones refused, and
 * a deployment set from another registry handle (the CLI, another replica) followed by polling.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Client, Metadata, type ServiceError, credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attribute, floatTensor, node, onnxModel, tensorValueInfo } from '../../src/core/onnx-model-builder.js';
import { OnnxElementType, encodeOnnxModel } from '../../src/core/onnx-proto.js';
import { type Registry, openRegistry } from '../../dist/registry/index.js';
import { oipGrpcService } from '../../dist/serve/grpc/oip-grpc-proto.js';
import { tempDir } from '../helpers/models.js';
import { trainBundle } from '../helpers/trained.js';
import { eventually, postJson, startRegistryServer } from '../helpers/server.js';

/** `y = x * k`, x and y FP32 [batch, 1]: versions that answer differently to the same request. */
function writeScaleModel(dir: string, k: number): string {
  const path = join(dir, `scale_${k}.onnx`);
  const model = onnxModel({
    nodes: [node('Mul', ['x', 'k'], ['y'])],
    inputs: [tensorValueInfo('x', OnnxElementType.FLOAT, ['batch', 1])],
    outputs: [tensorValueInfo('y', OnnxElementType.FLOAT, ['batch', 1])],
    initializers: [floatTensor('k', [1], [k])],
  });
  writeFileSync(path, encodeOnnxModel(model));
  return path;
}

/** Same inputs as the scale models, but an operator onnxruntime does not implement. */
function writeUnloadableModel(dir: string): string {
  const path = join(dir, 'unloadable.onnx');
  const model = onnxModel({
    nodes: [node('NoSuchOperator', ['x'], ['y'])],
    inputs: [tensorValueInfo('x', OnnxElementType.FLOAT, ['batch', 1])],
    outputs: [tensorValueInfo('y', OnnxElementType.FLOAT, ['batch', 1])],
  });
  writeFileSync(path, encodeOnnxModel(model));
  return path;
}

/** y = [0, 10, 20, 30, 40][x]: answers 10x for x in 0..4 and fails at run time for larger x (Gather out of bounds). */
function writeLookupModel(dir: string): string {
  const path = join(dir, 'lookup.onnx');
  const model = onnxModel({
    nodes: [node('Cast', ['x'], ['i'], [attribute('to', OnnxElementType.INT64, 'int')]), node('Gather', ['table', 'i'], ['y'])],
    inputs: [tensorValueInfo('x', OnnxElementType.FLOAT, ['batch', 1])],
    outputs: [tensorValueInfo('y', OnnxElementType.FLOAT, ['batch', 1])],
    initializers: [floatTensor('table', [5], [0, 10, 20, 30, 40])],
  });
  writeFileSync(path, encodeOnnxModel(model));
  return path;
}

const home = tempDir();
const dir = tempDir();
let admin: Registry;
let server: Awaited<ReturnType<typeof startRegistryServer>>;

const body = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [1] }] };

async function infer(headers: Record<string, string> = {}, model = 'scale'): Promise<{ status: number; header: string | null; version: string; y: number }> {
  const { status, headers: h, json } = await postJson(`${server.url}/v2/models/${model}/infer`, body, headers);
  const outputs = json.outputs as { data: number[] }[] | undefined;
  return { status, header: h.get('x-berth-model-version'), version: json.model_version as string, y: outputs?.[0]?.data[0] ?? NaN };
}

/** Sends `n` requests, `concurrency` at a time; returns how many each version answered. */
async function split(n: number, concurrency = 16): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        const answer = await infer();
        expect(answer.status).toBe(200);
        // The header, the body and the output itself agree on who answered.
        expect(answer.header).toBe(answer.version);
        expect(answer.y).toBe(Number(answer.version));
        counts.set(answer.version, (counts.get(answer.version) ?? 0) + 1);
      }
    }),
  );
  return counts;
}

/** Whether `observed` of `n` lies within `sigmas` binomial standard deviations of `n * p`. */
function withinBinomial(observed: number, n: number, p: number, sigmas = 5): boolean {
  const sd = Math.sqrt(n * p * (1 - p));
  return Math.abs(observed - n * p) <= sigmas * sd;
}

beforeAll(async () => {
  admin = await openRegistry({ home, actor: { interface: 'cli' } });
  // scale:k answers k for x = 1, so the output says which version ran.
  await admin.register(writeScaleModel(dir, 1), { name: 'scale', aliases: ['production'] });
  await admin.register(writeScaleModel(dir, 2), { name: 'scale' });
  await admin.register(writeScaleModel(dir, 3), { name: 'scale' });
  // Version 4 takes the same inputs but uses an operator onnxruntime does not have: it cannot load.
  await admin.register(writeUnloadableModel(dir), { name: 'scale' });
  await admin.register(writeLookupModel(dir), { name: 'scale' });
  // iris: a linear classifier in production, gradient-boosted trees as the challenger.
  await admin.register(await trainBundle('iris.csv', 'species', 'iris', 'linear'), { name: 'iris', aliases: ['production'] });
  await admin.register(await trainBundle('iris.csv', 'species', 'iris', 'gbdt'), { name: 'iris' });
  server = await startRegistryServer(home, { server: { grpcPort: 0 } });
});
afterAll(async () => {
  await server?.close();
  await admin?.close();
});

describe('deployments', () => {
  it('without a deployment the production version answers, and says so', async () => {
    const answer = await infer();
    expect(answer).toEqual({ status: 200, header: '1', version: '1', y: 1 });
    const status = (await (await fetch(`${server.url}/api/models/scale/deployment`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ model: 'scale', deployment: null, defaultVersion: 1 });
  });

  it('splits 80/20 within binomial bounds over 4,000 requests', async () => {
    const put = await fetch(`${server.url}/api/models/scale/deployment`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ variants: [{ version: 1, weight: 80 }, { version: 2, weight: 20 }] }),
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ deployment: { model: 'scale', variants: [{ version: 1, weight: 80 }, { version: 2, weight: 20 }] }, previous: null });
    // 4,000 requests through the data plane itself (the transports only pass the sticky key in),
    // each run by the version the router chose.
    const n = 4000;
    const counts = new Map<string, number>();
    const noKey = { header: () => undefined };
    const x = { name: 'x', datatype: 'FP32', shape: [1, 1], data: { decode: () => new Float32Array([1]) } };
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < n) {
          next++;
          const model = server.dataPlane.resolve('scale', undefined, noKey);
          const answer = await server.dataPlane.infer(model, { inputs: [x] }, { requestId: '', protocol: 'v2-rest', routed: true });
          expect(Number(answer.outputs[0]!.data[0])).toBe(model.version);
          counts.set(answer.modelVersion, (counts.get(answer.modelVersion) ?? 0) + 1);
        }
      }),
    );
    expect([...counts.keys()].sort()).toEqual(['1', '2']);
    expect(counts.get('1')! + counts.get('2')!).toBe(n);
    expect(withinBinomial(counts.get('2')!, n, 0.2), `version 2 answered ${counts.get('2')} of ${n}`).toBe(true);
    // And over HTTP, where the header, the body and the output agree on who answered.
    const overHttp = await split(400);
    expect(withinBinomial(overHttp.get('2') ?? 0, 400, 0.2), `version 2 answered ${overHttp.get('2')} of 400 over HTTP`).toBe(true);
  }, 120_000);

  it('meets the same variant for the same sticky key, on every protocol', async () => {
    const Service = oipGrpcService();
    const client = new Service(`127.0.0.1:${server.grpcPort}`, credentials.createInsecure()) as Client & Record<string, (...args: unknown[]) => unknown>;
    const grpcVersion = (key: string) =>
      new Promise<{ header: string; version: string }>((resolve, reject) => {
        const metadata = new Metadata();
        metadata.set('x-berth-route-key', key);
        let header = '';
        const call = client.ModelInfer!(
          { model_name: 'scale', inputs: [{ name: 'x', datatype: 'FP32', shape: ['1', '1'], contents: { fp32_contents: [1] } }] },
          metadata,
          (error: ServiceError | null, response: { model_version: string }) => (error ? reject(error) : resolve({ header, version: response.model_version })),
        ) as { on(event: 'metadata', listener: (m: Metadata) => void): void };
        call.on('metadata', (m) => (header = String(m.get('x-berth-model-version')[0])));
      });
    try {
      const byKey = new Map<string, string>();
      for (let i = 0; i < 200; i++) {
        const key = `user-${i}`;
        const first = await infer({ 'x-berth-route-key': key });
        byKey.set(key, first.version);
        expect((await infer({ 'x-berth-route-key': key })).version).toBe(first.version);
        const v1 = await postJson(`${server.url}/v1/models/scale:predict`, { instances: [[1]] }, { 'x-berth-route-key': key });
        expect(v1.headers.get('x-berth-model-version')).toBe(first.version);
        expect((v1.json.predictions as number[][])[0]![0]).toBe(Number(first.version));
        if (i % 10 === 0) expect(await grpcVersion(key)).toEqual({ header: first.version, version: first.version });
      }
      const onTwo = [...byKey.values()].filter((v) => v === '2').length;
      expect(withinBinomial(onTwo, 200, 0.2), `${onTwo} of 200 keys on version 2`).toBe(true);
    } finally {
      client.close();
    }
  }, 60_000);

  it('keeps canary users on the canary as its weight grows', async () => {
    const put = (variants: unknown) =>
      fetch(`${server.url}/api/models/scale/deployment`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ variants }) });
    expect((await put([{ version: 3, weight: 10 }, { version: 1, weight: 90 }])).status).toBe(200);
    const canary: string[] = [];
    for (let i = 0; i < 300; i++) if ((await infer({ 'x-berth-route-key': `u${i}` })).version === '3') canary.push(`u${i}`);
    expect(canary.length).toBeGreaterThan(0);
    expect((await put([{ version: 3, weight: 50 }, { version: 1, weight: 50 }])).status).toBe(200);
    for (const key of canary) expect((await infer({ 'x-berth-route-key': key })).version).toBe('3');
  });

  it('refuses bad policies with catalogue errors and changes nothing', async () => {
    const before = (await (await fetch(`${server.url}/api/models/scale/deployment`)).json()) as { deployment: unknown };
    const put = (policy: unknown) =>
      fetch(`${server.url}/api/models/scale/deployment`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(policy) }).then(async (r) => ({
        status: r.status,
        code: ((await r.json()) as { code?: string }).code,
      }));
    expect(await put({ variants: [{ version: 1, weight: 70 }, { version: 2, weight: 20 }] })).toEqual({ status: 400, code: 'BERTH_DEPLOYMENT_INVALID' });
    expect(await put({ variants: [{ version: 1, weight: 100 }], shadows: [{ version: 1, sample: 0.5 }] })).toEqual({ status: 400, code: 'BERTH_DEPLOYMENT_INVALID' });
    expect(await put({ variants: [{ version: 1, weight: 50 }, { version: 7, weight: 50 }] })).toEqual({ status: 404, code: 'BERTH_REGISTRY_VERSION_NOT_FOUND' });
    expect(await put({ variants: [{ version: 1, weight: '50' }] })).toEqual({ status: 400, code: 'BERTH_REQUEST_INVALID' });
    expect(await put({ variants: [{ version: 1, weight: 100 }], extra: true })).toEqual({ status: 400, code: 'BERTH_REQUEST_INVALID' });
    expect(await put({ variants: [{ version: 1, weight: 90 }, { version: 4, weight: 10 }] })).toEqual({ status: 422, code: 'BERTH_DEPLOYMENT_VERSION_UNLOADABLE' });
    expect(await put({ variants: [{ version: 1, weight: 100 }], shadows: [{ version: 4, sample: 1 }] })).toEqual({ status: 422, code: 'BERTH_DEPLOYMENT_VERSION_UNLOADABLE' });
    const after = (await (await fetch(`${server.url}/api/models/scale/deployment`)).json()) as { deployment: unknown };
    expect(after.deployment).toEqual(before.deployment);
  });

  it('follows a deployment changed from another registry handle within 2 seconds, and clears it', async () => {
    await admin.setDeployment('scale', { variants: [{ version: 3, weight: 100 }] });
    expect(await eventually(async () => (await infer()).version === '3', 2000)).toBe(true);
    const cleared = await fetch(`${server.url}/api/models/scale/deployment`, { method: 'DELETE' });
    expect(cleared.status).toBe(200);
    expect(((await cleared.json()) as { deployment: unknown }).deployment).toBeNull();
    // Cleared through this replica's API: it answers from production at once.
    expect(await infer()).toMatchObject({ version: '1', header: '1' });
    const audit = (await (await fetch(`${server.url}/api/audit?model=scale&limit=3`)).json()) as { entries: { action: string; interface: string }[] };
    expect(audit.entries.map((e) => [e.action, e.interface])).toEqual([
      ['deployment.clear', 'api'],
      ['deployment.set', 'cli'],
      ['deployment.set', 'api'],
    ]);
  });
});

/** Sets a deployment through the API, which answers once this replica serves it (no waiting on polls). */
async function deploy(model: string, policy: Record<string, unknown>): Promise<void> {
  const put = await fetch(`${server.url}/api/models/${model}/deployment`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(policy) });
  expect(put.status, await put.clone().text()).toBe(200);
}

/** The comparison report of a shadow, once it has run `requests` copies. */
async function comparison(model: string, shadow: number, requests: number): Promise<Record<string, unknown> & { requests: number }> {
  let report: Record<string, unknown> & { requests: number } = { requests: -1 };
  await eventually(async () => {
    report = (await (await fetch(`${server.url}/api/models/${model}/shadows/${shadow}/comparison`)).json()) as typeof report;
    return report.requests >= requests;
  }, 10_000);
  return report;
}

describe('shadows', () => {
  it('copies every request to a shadow, answers only from the primary, and compares the outputs', async () => {
    const put = await fetch(`${server.url}/api/models/scale/deployment`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ shadows: [{ version: 3, sample: 1 }] }),
    });
    expect(put.status).toBe(200);
    const xs = Array.from({ length: 40 }, (_, i) => i + 1);
    for (const x of xs) {
      const { status, headers, json } = await postJson(`${server.url}/v2/models/scale/infer`, { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [x] }] });
      // The caller only ever sees production (y = x), never the shadow (y = 3x).
      expect(status).toBe(200);
      expect(headers.get('x-berth-model-version')).toBe('1');
      expect((json.outputs as { data: number[] }[])[0]!.data).toEqual([x]);
    }
    const report = await comparison('scale', 3, xs.length);
    // Shadow minus primary is 3x - x = 2x for every request.
    const differences = xs.map((x) => 2 * x).sort((a, b) => a - b);
    const nearestRank = (q: number) => differences[Math.max(1, Math.ceil(q * differences.length)) - 1];
    expect(report).toMatchObject({ model: 'scale', shadow: 3, requests: xs.length, dropped: 0, failed: 0, rows: xs.length, agreement: null });
    const d = report.differences as { count: number; mean: number; meanAbsolute: number; quantiles: { q: number; value: number }[] };
    expect(d.count).toBe(xs.length);
    expect(d.mean).toBeCloseTo(differences.reduce((a, b) => a + b, 0) / xs.length, 9);
    expect(d.meanAbsolute).toBeCloseTo(d.mean, 9);
    for (const { q, value } of d.quantiles) expect(value).toBe(nearestRank(q));
    const latency = report.latencyMs as { primary: { p50: number }; shadow: { p50: number } };
    expect(latency.primary.p50).toBeGreaterThan(0);
    expect(latency.shadow.p50).toBeGreaterThan(0);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/berth_shadow_requests_total\{model="scale",version="3",outcome="answered"\} \d+/);
    // The deployment's status shows the shadow's copies and how they compared, beside the default version.
    const status = (await (await fetch(`${server.url}/api/models/scale/deployment`)).json()) as { versions: Record<string, unknown>[] };
    expect(status.versions.map((v) => [v.version, v.role, v.served])).toEqual([
      [1, 'default', true],
      [3, 'shadow', true],
    ]);
    expect(status.versions[1]).toMatchObject({ requests: xs.length, errors: 0, errorRate: 0, comparison: { dropped: 0, disagreement: null, meanAbsoluteDifference: d.meanAbsolute } });
  });

  it('sends a shadow its sample share of requests', async () => {
    await deploy('scale', { variants: [{ version: 1, weight: 100 }], shadows: [{ version: 2, sample: 0.5 }] });
    const before = (await comparison('scale', 2, 0)).requests;
    const n = 400;
    for (let i = 0; i < n; i++) expect((await infer()).version).toBe('1');
    let after = before;
    await eventually(async () => {
      const now = (await comparison('scale', 2, 0)).requests;
      const settled = now === after;
      after = now;
      return settled && now > before;
    }, 10_000);
    expect(withinBinomial(after - before, n, 0.5), `the shadow saw ${after - before} of ${n}`).toBe(true);
  });

  it('compares a classifier shadow label by label, matching the two versions\' own answers', async () => {
    await deploy('iris', { shadows: [{ version: 2, sample: 1 }] });
    const rows = Array.from({ length: 30 }, (_, i) => ({
      sepal_length_cm: 4.5 + (i % 10) * 0.35,
      sepal_width_cm: 2.2 + (i % 7) * 0.25,
      petal_length_cm: 1 + (i % 15) * 0.4,
      petal_width_cm: 0.1 + (i % 12) * 0.2,
    }));
    const answered = await postJson(`${server.url}/api/models/iris/predict`, { records: rows });
    expect(answered.status).toBe(200);
    expect(answered.headers.get('x-berth-model-version')).toBe('1');
    const labelsOf = async (ref: string) =>
      ((await postJson(`${server.url}/api/models/${ref}/predict`, { records: rows })).json.predictions as { label: string }[]).map((p) => p.label);
    const [primary, challenger] = [await labelsOf('iris:1'), await labelsOf('iris:2')];
    expect((answered.json.predictions as { label: string }[]).map((p) => p.label)).toEqual(primary);
    const agreed = primary.filter((label, i) => label === challenger[i]).length;
    const report = await comparison('iris', 2, 1);
    expect(report).toMatchObject({ requests: 1, rows: rows.length, failed: 0, agreement: { labels: rows.length, rate: agreed / rows.length } });
    expect((report.agreement as { disagreement: number }).disagreement).toBeCloseTo(1 - agreed / rows.length, 12);
  });

  it('keeps a shadow\'s failures from callers and counts them', async () => {
    // Version 5 looks x up in a table of five entries: it fails at run time for x >= 5.
    await deploy('scale', { shadows: [{ version: 5, sample: 1 }] });
    const xs = [1, 2, 3, 4, 5, 6, 7, 8];
    for (const x of xs) {
      const { status, json } = await postJson(`${server.url}/v2/models/scale/infer`, { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [x] }] });
      expect(status).toBe(200);
      expect(json.model_version).toBe('1');
      expect((json.outputs as { data: number[] }[])[0]!.data).toEqual([x]);
    }
    const report = await comparison('scale', 5, xs.length);
    expect(report).toMatchObject({ requests: 8, failed: 4, failureRate: 0.5, rows: 4 });
    // Where it answers, it answers 10x: 9x more than production.
    expect((report.differences as { mean: number }).mean).toBeCloseTo((9 * (1 + 2 + 3 + 4)) / 4, 9);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/berth_shadow_requests_total\{model="scale",version="5",outcome="failed"\} 4/);
  });

  it('refuses a comparison for a version that is not a shadow', async () => {
    const r = await fetch(`${server.url}/api/models/scale/shadows/1/comparison`);
    expect(r.status).toBe(404);
    expect(((await r.json()) as { code: string }).code).toBe('BERTH_DEPLOYMENT_SHADOW_NOT_FOUND');
  });
});

describe('traffic changes under load', () => {
  it('fails no request at 64 connections while the deployment changes', async () => {
    let stop = false;
    const statuses = new Map<number, number>();
    const versions = new Set<string>();
    const clients = Array.from({ length: 64 }, async (_, c) => {
      while (!stop) {
        const answer = await infer({ 'x-berth-route-key': `client-${c}` });
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        versions.add(answer.version);
      }
    });
    const policies = [
      { variants: [{ version: 1, weight: 80 }, { version: 2, weight: 20 }] },
      { variants: [{ version: 2, weight: 50 }, { version: 3, weight: 50 }], shadows: [{ version: 1, sample: 1 }] },
      { variants: [{ version: 3, weight: 100 }] },
      null,
      { variants: [{ version: 1, weight: 10 }, { version: 3, weight: 90 }], sticky: { kind: 'header', name: 'x-other' } },
      null,
    ];
    for (const policy of policies) {
      await new Promise((r) => setTimeout(r, 250));
      const r = policy
        ? await fetch(`${server.url}/api/models/scale/deployment`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(policy) })
        : await fetch(`${server.url}/api/models/scale/deployment`, { method: 'DELETE' });
      expect(r.status).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 250));
    stop = true;
    await Promise.all(clients);
    expect([...statuses.keys()]).toEqual([200]);
    expect([...versions].sort()).toEqual(['1', '2', '3']);
  }, 120_000);
});
