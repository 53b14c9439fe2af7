/**
 * The proof of issue 6 through the real server: a loans model trained by Berth (with its
 * reference profile) served from the registry; the stable file sent to the named-feature API
 * flags nothing; the drifted file flags income, credit score, loan amount and employment, an
 * alert fires, and a real local webhook receives it. Rows in the report equal rows served, and
 * feedback joins ground truth to the predictions by request id.
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsvFile } from '../../dist/train/index.js';
import { trainBundle } from '../../dist/app/train-bundle.js';
import { Pipeline } from '../../dist/runtime/pipeline.js';
import { tempDir } from '../helpers/models.js';
import { eventually, postJson, startRegistryServer } from '../helpers/server.js';
import { DATASETS } from '../helpers/trained.js';

interface Feature {
  name: string;
  drifted: boolean;
  bins?: { edges?: number[]; values?: (string | number)[]; reference: number[]; current: number[] };
}

let server: Awaited<ReturnType<typeof startRegistryServer>>;
let pipeline: Pipeline;
/** Rows the tensor-monitoring test sent, twice (as a tensor and as records), for the traffic count below. */
let comparedRows = 0;
let hook: Server;
const received: { type?: string; state?: string; rule?: { id?: string }; value?: number }[] = [];

async function rowsOf(file: string): Promise<{ records: Record<string, string | null>[]; actual: string[] }> {
  const table = await readCsvFile(join(DATASETS, file));
  const target = table.header.indexOf('defaulted');
  return {
    records: table.rows.map((row) => Object.fromEntries(table.header.flatMap((name, j) => (j === target ? [] : [[name, row[j] === '' ? null : row[j]!]])))),
    actual: table.rows.map((row) => row[target]!),
  };
}

/** Sends the rows in requests of 250 and returns each request's id with its rows' true labels. */
async function send(records: Record<string, string | null>[], actual: string[]): Promise<{ requestId: string; actual: string[] }[]> {
  const sent: { requestId: string; actual: string[] }[] = [];
  for (let i = 0; i < records.length; i += 250) {
    const { status, json } = await postJson(`${server.url}/api/models/loans/predict`, { records: records.slice(i, i + 250) });
    expect(status).toBe(200);
    sent.push({ requestId: json.requestId as string, actual: actual.slice(i, i + 250) });
  }
  return sent;
}

beforeAll(async () => {
  hook = createServer((request, response) => {
    let text = '';
    request.on('data', (c) => (text += c));
    request.on('end', () => {
      received.push(JSON.parse(text) as (typeof received)[number]);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const webhook = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
  server = await startRegistryServer(tempDir(), {
    monitor: {
      windowMs: 1000,
      flushIntervalMs: 200,
      alertIntervalMs: 300,
      webhooks: [webhook],
      webhookAllowPrivate: ['127.0.0.1'],
      rules: [{ id: 'loans-drift', model: 'loans', type: 'drift_share', threshold: 0.3, window: '30s', minRows: 500 }],
    },
  });
  const { bundle } = await trainBundle({ csv: { file: join(DATASETS, 'loans_reference.csv') }, target: 'defaulted', algorithm: 'linear', seed: 1, outDir: join(tempDir(), 'b'), name: 'loans' });
  await server.registry.register(bundle.dir, { aliases: ['production'] });
  pipeline = new Pipeline(bundle.manifest.schema!, bundle.manifest.pipeline!);
  await eventually(async () => (await fetch(`${server.url}/v2/models/loans`)).status === 200);
}, 180_000);

afterAll(async () => {
  await server?.close();
  hook?.close();
});

async function drift(from: string, to: string) {
  const response = await fetch(`${server.url}/api/models/loans/monitor/drift?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
  expect(response.status).toBe(200);
  return (await response.json()) as { rows: number; features: Feature[]; driftedShare: number; predictionDrift: { drifted: boolean } };
}

describe('monitoring through the server', () => {
  let stableSent: { requestId: string; actual: string[] }[] = [];
  let stableFrom = '';
  let stableTo = '';

  it('flags nothing for traffic like the training data, and counts every row', async () => {
    const { records, actual } = await rowsOf('loans_current_stable.csv');
    stableFrom = new Date().toISOString();
    stableSent = await send(records, actual);
    // Let the window close and flush, so the report reads stored windows.
    await new Promise((r) => setTimeout(r, 1500));
    stableTo = new Date().toISOString();
    const report = await drift(stableFrom, stableTo);
    expect(report.rows).toBe(records.length);
    expect(report.features.filter((f) => f.drifted).map((f) => f.name)).toEqual([]);
    expect(received).toEqual([]);
  });

  it('monitors OIP tensor requests by their named features, as the same rows sent as records', async () => {
    const { records } = await rowsOf('loans_current_stable.csv');
    // Complete rows: a missing value is recorded as missing from records and as the value imputed from a tensor.
    const rows = records.filter((r) => Object.values(r).every((v) => v !== null)).slice(0, 500);
    expect(rows.length).toBeGreaterThan(100);
    comparedRows = rows.length;
    const from = new Date().toISOString();
    const { tensor } = pipeline.encode(rows);
    const { status } = await postJson(`${server.url}/v2/models/loans/infer`, {
      inputs: [{ name: tensor.name, datatype: 'FP32', shape: tensor.shape, data: Array.from(tensor.data as Float32Array) }],
    });
    expect(status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
    const viaTensors = await drift(from, new Date().toISOString());
    expect(viaTensors.rows).toBe(rows.length);
    // The schema's features and no tensor columns: one view of the model's inputs.
    expect(viaTensors.features.map((f) => f.name).filter((name) => name.includes('['))).toEqual([]);

    const again = new Date().toISOString();
    expect((await postJson(`${server.url}/api/models/loans/predict`, { records: rows })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
    const viaRecords = await drift(again, new Date().toISOString());
    expect(viaRecords.rows).toBe(rows.length);
    expect(viaTensors.features.map((f) => f.name)).toEqual(viaRecords.features.map((f) => f.name));
    for (const feature of viaRecords.features) {
      const other = viaTensors.features.find((f) => f.name === feature.name)!;
      if (feature.bins?.values !== undefined) {
        // Categories come back exactly; numbers within float32 rounding, so only the totals are compared.
        expect(other.bins, feature.name).toEqual(feature.bins);
      } else {
        expect(other.bins!.current.reduce((a, b) => a + b, 0), feature.name).toBeCloseTo(1, 6);
      }
    }
  });

  it('joins feedback to logged predictions and reports unknown request ids', async () => {
    const items = stableSent.slice(0, 4).map((s) => ({ requestId: s.requestId, actual: s.actual }));
    const response = await postJson(`${server.url}/api/models/loans/feedback`, [...items, { requestId: 'no-such-request', actual: ['1'] }]);
    expect(response.status).toBe(200);
    expect(response.json.accepted).toBe(4);
    expect(response.json.unknown).toEqual(['no-such-request']);
    const performance = await (await fetch(`${server.url}/api/models/loans/monitor/performance?from=${encodeURIComponent(stableFrom)}`)).json();
    expect(JSON.stringify(performance)).toContain('accuracy');
  });

  it('flags income, credit score, loan amount and employment for drifted traffic, and fires the alert to the webhook', async () => {
    const { records, actual } = await rowsOf('loans_current_drifted.csv');
    const from = new Date().toISOString();
    await send(records, actual);
    await new Promise((r) => setTimeout(r, 1500));
    const report = await drift(from, new Date().toISOString());
    expect(report.rows).toBe(records.length);
    expect(report.features.filter((f) => f.drifted).map((f) => f.name).sort()).toEqual(['annual_income', 'credit_score', 'employment', 'loan_amount']);
    expect(report.predictionDrift.drifted).toBe(true);
    // The distributions compared come with the report, for charts: proportions per bin on each side.
    const employment = report.features.find((f) => f.name === 'employment')!;
    expect(employment.bins!.values).toContain('gig_worker');
    const gig = employment.bins!.values!.indexOf('gig_worker');
    expect(employment.bins!.reference[gig]).toBe(0);
    expect(employment.bins!.current[gig]).toBeGreaterThan(0);
    const income = report.features.find((f) => f.name === 'annual_income')!;
    expect(income.bins!.edges!.length).toBe(income.bins!.reference.length + 1);
    for (const side of [income.bins!.reference, income.bins!.current]) expect(side.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(await eventually(() => received.some((n) => n.type === 'berth.alert' && n.state === 'firing' && n.rule?.id === 'loans-drift'), 10_000)).toBe(true);
    const alerts = (await (await fetch(`${server.url}/api/alerts`)).json()) as { alerts: { state: string }[] };
    expect(alerts.alerts.some((a) => a.state === 'firing')).toBe(true);
  });

  it('exports drift per feature as Prometheus gauges for the default version', async () => {
    const report = await drift('1h', new Date().toISOString());
    const metrics = async () => (await fetch(`${server.url}/metrics`)).text();
    // The gauges are recomputed every window (1 s here) over the last hour.
    expect(await eventually(async () => /berth_feature_drifted\{model="loans",version="1",feature="annual_income",role="feature"\} 1/.test(await metrics()), 10_000)).toBe(true);
    const text = await metrics();
    for (const f of report.features) expect(text).toMatch(new RegExp(`berth_feature_drift_statistic\\{model="loans",version="1",feature="${f.name}",role="feature",method="\\w+"\\} [\\d.e-]+`));
    expect(text).toMatch(/berth_feature_drifted\{model="loans",version="1",feature="label",role="output"\} [01]/);
    expect(text).toMatch(/berth_dataset_drifted\{model="loans",version="1"\} [01]/);
    expect(text).toMatch(/berth_drifted_feature_share\{model="loans",version="1"\} [\d.]+/);
  });

  it('compares only the columns asked for, and refuses a column the report does not have', async () => {
    const all = await drift('1h', new Date().toISOString());
    const without = (await (await fetch(`${server.url}/api/models/loans/monitor/drift?from=1h&exclude=annual_income,region`)).json()) as { features: Feature[] };
    expect(without.features.map((f) => f.name)).toEqual(all.features.map((f) => f.name).filter((n) => n !== 'annual_income' && n !== 'region'));
    const only = (await (await fetch(`${server.url}/api/models/loans/monitor/drift?from=1h&columns=age`)).json()) as { features: Feature[] };
    expect(only.features.map((f) => f.name)).toEqual(['age']);
    const bad = await fetch(`${server.url}/api/models/loans/monitor/drift?from=1h&columns=age,agee`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'BERTH_MONITOR_OPTION_INVALID', error: expect.stringContaining("'agee' is not a column of the report; the columns are age,") });
  });

  it('names the class label of each probability column in the OIP metadata', async () => {
    const meta = (await (await fetch(`${server.url}/v2/models/loans`)).json()) as { outputs: { name: string; parameters?: { labels: string[] } }[] };
    expect(meta.outputs).toEqual([{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2], parameters: { labels: ['0', '1'] } }]);
  });

  it("sums up the models list in one request: the last minutes' traffic and the day's drift verdict", async () => {
    const response = await fetch(`${server.url}/api/models?summary=true`);
    expect(response.status).toBe(200);
    type Summary = { traffic: { requests: number; requestsPerSecond: number }; drift: { rows: number; datasetDrift: boolean; driftedFeatures: string[] } | null };
    const { models } = (await response.json()) as { models: { name: string; summary: Summary }[] };
    const { summary } = models.find((m) => m.name === 'loans')!;
    expect(summary.traffic.requests).toBeGreaterThan(0);
    expect(summary.traffic.requestsPerSecond).toBeGreaterThan(0);
    // The same verdict as the full 24-hour report the list used to ask for, model by model.
    const report = (await (await fetch(`${server.url}/api/models/loans/monitor/drift?from=24h`)).json()) as { rows: number; datasetDrift: boolean; features: Feature[] };
    expect(summary.drift).toEqual({
      from: expect.any(String),
      to: expect.any(String),
      version: '1',
      rows: report.rows,
      driftedShare: expect.any(Number),
      datasetDrift: report.datasetDrift,
      driftedFeatures: report.features.filter((f) => f.drifted).map((f) => f.name),
    });
  });

  it('counts OIP tensor requests beside named-feature ones in the traffic report', async () => {
    const meta = (await (await fetch(`${server.url}/v2/models/loans`)).json()) as { inputs: { name: string; shape: number[] }[] };
    const width = meta.inputs[0]!.shape[1]!;
    const { status } = await postJson(`${server.url}/v2/models/loans/infer`, {
      inputs: [{ name: meta.inputs[0]!.name, datatype: 'FP32', shape: [3, width], data: new Array(3 * width).fill(0) }],
    });
    expect(status).toBe(200);
    expect(
      await eventually(async () => {
        const traffic = (await (await fetch(`${server.url}/api/models/loans/monitor/traffic?from=1h&step=1m`)).json()) as { points: { rows: number }[] };
        return traffic.points.reduce((n, p) => n + p.rows, 0) === 10_003 + 2 * comparedRows;
      }),
    ).toBe(true);
  });

  it('berth monitor --url reads the running server, the window in its memory included', async () => {
    const { monitorCommand } = await import('../../dist/cli/commands/monitor.js');
    const { buildConfig } = await import('../../dist/core/config.js');
    const from = new Date().toISOString();
    const { records, actual } = await rowsOf('loans_current_stable.csv');
    await send(records.slice(0, 250), actual.slice(0, 250));
    // At once: the window holding these rows has not been written to the database yet.
    const report = await monitorCommand({ config: buildConfig({}), model: 'loans', since: from, url: server.url, exclude: ['region'] });
    expect(report.rows).toBeGreaterThanOrEqual(250);
    expect(report.pending).toBeNull();
    expect(report.features.map((f) => f.name)).not.toContain('region');
  });
});
