/**
 * `GET /api/models/{name}/payloads` through a real server, on SQLite and on PostgreSQL: a loans
 * model trained by Berth, served from the registry with the payload log on; real predictions and
 * feedback over HTTP; then the export as CSV and as JSON Lines, read with a `read` API key, its
 * refusals (credentials, unknown model, bad query), a model whose payload logging is off, and
 * `berth payloads --url` (function and binary), whose file must be the same bytes as the export
 * read from the stores.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainBundle } from '../../dist/app/train-bundle.js';
import { payloadsCommand } from '../../dist/cli/commands/payloads.js';
import { buildConfig } from '../../dist/core/config.js';
import { readCsvFile } from '../../dist/train/index.js';
import { runBerth } from '../helpers/cli.js';
import { tempDir } from '../helpers/models.js';
import { eventually, postJson, startRegistryServer } from '../helpers/server.js';
import { STORE_BACKENDS, type StoreLocation } from '../helpers/store-backends.js';
import { DATASETS } from '../helpers/trained.js';

const ADMIN = 'admin-token-for-payload-tests';
let bundleDir: string;

beforeAll(async () => {
  const { bundle } = await trainBundle({ csv: { file: join(DATASETS, 'loans_reference.csv') }, target: 'defaulted', algorithm: 'linear', seed: 1, outDir: join(tempDir(), 'b'), name: 'loans' });
  bundleDir = bundle.dir;
}, 120_000);

describe.each(STORE_BACKENDS)('the payload export over HTTP on $name', (backend) => {
  let location: StoreLocation;
  let server: Awaited<ReturnType<typeof startRegistryServer>>;
  const sent: { requestId: string; records: Record<string, string | null>[]; actual: string[] }[] = [];
  const keys: Record<string, string> = {};
  const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });
  const exportOf = async (model: string, query = '', headers: Record<string, string> = bearer(keys.read!)) => {
    const response = await fetch(`${server.url}/api/models/${model}/payloads${query}`, { headers });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };
  const csvRows = (text: string) => parse(text, { columns: true }) as Record<string, string>[];

  beforeAll(async () => {
    if (backend.skip) return;
    location = backend.create();
    server = await startRegistryServer(location.home, {
      store: { databaseUrl: location.databaseUrl, databaseSchema: location.schema },
      server: { adminToken: ADMIN },
      monitor: { flushIntervalMs: 200, segmentSealMs: 1000, payloads: { rate: 1, models: { quiet: { rate: 0 } } } },
    });
    await server.registry.register(bundleDir, { name: 'loans', aliases: ['production'] });
    await server.registry.register(bundleDir, { name: 'quiet', aliases: ['production'] });
    for (const [name, scopes] of Object.entries({ read: ['read'], predict: ['predict'] })) {
      const created = await postJson(`${server.url}/api/keys`, { scopes, name }, bearer(ADMIN));
      expect(created.status).toBe(201);
      keys[name] = (created.json as { key: string }).key;
    }
    await eventually(async () => (await fetch(`${server.url}/v2/models/loans`)).status === 200 && (await fetch(`${server.url}/v2/models/quiet`)).status === 200);
    const table = await readCsvFile(join(DATASETS, 'loans_current_drifted.csv'));
    const target = table.header.indexOf('defaulted');
    for (let i = 0; i < 3; i++) {
      const rows = table.rows.slice(i * 40, (i + 1) * 40);
      const records = rows.map((row) => Object.fromEntries(table.header.flatMap((name, j) => (j === target ? [] : [[name, row[j] === '' ? null : row[j]!]]))));
      const { status, json } = await postJson(`${server.url}/api/models/loans/predict`, { records }, bearer(keys.predict!));
      expect(status).toBe(200);
      sent.push({ requestId: json.requestId as string, records, actual: rows.map((row) => row[target]!) });
      expect((await postJson(`${server.url}/api/models/quiet/predict`, { records }, bearer(keys.predict!))).status).toBe(200);
    }
    // The truth of the first two requests only.
    const feedback = await postJson(`${server.url}/api/models/loans/feedback`, sent.slice(0, 2).map((s) => ({ requestId: s.requestId, actual: s.actual })), bearer(keys.predict!));
    expect(feedback.json).toMatchObject({ accepted: 2, unknown: [] });
    // Requests reach the export once their segment is sealed (segmentSealMs).
    expect(await eventually(async () => csvRows((await exportOf('loans')).text).length === 120, 15_000)).toBe(true);
  }, 180_000);

  afterAll(async () => {
    await server?.close();
    await location?.cleanup();
  });

  it.skipIf(backend.skip)('exports CSV to a read key: every logged row with its inputs, prediction and truth', async () => {
    const answer = await exportOf('loans', '?since=1h');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(answer.headers.get('content-disposition')).toBe('attachment; filename="loans-payloads.csv"');
    expect(answer.headers.get('x-berth-payload-rate')).toBe('1');
    const rows = csvRows(answer.text);
    const header = Object.keys(rows[0]!);
    expect(header.slice(0, 4)).toEqual(['request_id', 'row', 'at', 'version']);
    expect(header.at(-1)).toBe('actual');
    expect(header).toEqual(expect.arrayContaining([...Object.keys(sent[0]!.records[0]!), 'prediction_label']));
    expect(rows.map((r) => r.request_id)).toEqual(sent.flatMap((s) => s.records.map(() => s.requestId)));
    expect(rows.map((r) => r.actual)).toEqual([...sent[0]!.actual, ...sent[1]!.actual, ...sent[2]!.actual.map(() => '')]);
    expect(rows[3]!.annual_income).toBe(String(Number(sent[0]!.records[3]!.annual_income)));
    expect(rows[41]).toMatchObject({ request_id: sent[1]!.requestId, row: '1', version: '1' });

    const labelled = csvRows((await exportOf('loans', '?labelled=true')).text);
    expect(labelled).toHaveLength(80);
    expect(labelled.every((r) => r.actual !== '')).toBe(true);
    expect(csvRows((await exportOf('loans', '?limit=5')).text)).toEqual(rows.slice(0, 5));
    // A range that ends before the traffic came holds nothing.
    expect(csvRows((await exportOf('loans', `?since=2020-01-01T00:00:00Z&until=2020-01-02T00:00:00Z`)).text)).toEqual([]);
  });

  it.skipIf(backend.skip)('exports the same rows as JSON Lines, chosen by format or by the Accept header', async () => {
    const csv = csvRows((await exportOf('loans')).text);
    const byFormat = await exportOf('loans', '?format=jsonl');
    expect(byFormat.status).toBe(200);
    expect(byFormat.headers.get('content-type')).toBe('application/x-ndjson');
    const byAccept = await exportOf('loans', '', { ...bearer(keys.read!), accept: 'application/x-ndjson' });
    expect(byAccept.text).toBe(byFormat.text);
    const lines = byFormat.text.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(120);
    expect(Object.keys(lines[0]!)).toEqual(Object.keys(csv[0]!));
    expect(lines.map((l) => l.request_id)).toEqual(csv.map((r) => r.request_id));
    expect(lines.map((l) => l.actual)).toEqual(csv.map((r) => (r.actual === '' ? null : r.actual)));
    // Values keep their types: numbers as numbers.
    expect(lines[3]!.annual_income).toBe(Number(sent[0]!.records[3]!.annual_income));
    expect(lines[0]!.row).toBe(0);
    const labelled = await exportOf('loans', '?format=jsonl&labelled=1&limit=10');
    expect(labelled.text.trimEnd().split('\n')).toHaveLength(10);
    // CSV stays the default for an Accept header that names neither format.
    expect((await exportOf('loans', '', { ...bearer(keys.read!), accept: '*/*' })).headers.get('content-type')).toBe('text/csv; charset=utf-8');
  });

  it.skipIf(backend.skip)('refuses a missing or unfit credential, an unknown model and a bad query with catalogue errors', async () => {
    const code = (text: string) => (JSON.parse(text) as { code: string }).code;
    const none = await exportOf('loans', '', {});
    expect([none.status, code(none.text)]).toEqual([401, 'BERTH_AUTH_REQUIRED']);
    const predictOnly = await exportOf('loans', '', bearer(keys.predict!));
    expect([predictOnly.status, code(predictOnly.text)]).toEqual([403, 'BERTH_AUTH_FORBIDDEN']);
    expect(predictOnly.text).toContain('needs scope read');
    const unknown = await exportOf('nope');
    expect([unknown.status, code(unknown.text)]).toEqual([404, 'BERTH_REGISTRY_MODEL_NOT_FOUND']);
    const since = await exportOf('loans', '?since=soon');
    expect([since.status, code(since.text)]).toEqual([400, 'BERTH_MONITOR_RANGE_INVALID']);
    expect(since.text).toContain('since=soon');
    const inverted = await exportOf('loans', '?since=1h&until=2h');
    expect([inverted.status, code(inverted.text)]).toEqual([400, 'BERTH_MONITOR_RANGE_INVALID']);
    const format = await exportOf('loans', '?format=xml');
    expect([format.status, code(format.text)]).toEqual([400, 'BERTH_REQUEST_INVALID']);
    const limit = await exportOf('loans', '?limit=0');
    expect([limit.status, code(limit.text)]).toEqual([400, 'BERTH_REQUEST_INVALID']);
  });

  it.skipIf(backend.skip)('answers an empty export, and says the rate is 0, for a model whose payload logging is off', async () => {
    const answer = await exportOf('quiet');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-berth-payload-rate')).toBe('0');
    expect(answer.text).toBe('request_id,row,at,version,actual\n');
    expect((await exportOf('quiet', '?format=jsonl')).text).toBe('');
  });

  it.skipIf(backend.skip)('lets berth payloads --url write the same file as berth payloads reading the stores', async () => {
    const remote = join(tempDir(), 'remote.csv');
    const done = await payloadsCommand({ config: buildConfig({}), model: 'loans', since: '1h', output: remote, url: server.url, token: keys.read });
    expect(done).toMatchObject({ model: 'loans', rows: 120, labelled: 80 });
    expect(Date.parse(done.to) - Date.parse(done.from)).toBeGreaterThanOrEqual(3_600_000);
    const local = join(tempDir(), 'local.csv');
    const config = buildConfig({ store: { home: location.home, databaseUrl: location.databaseUrl, databaseSchema: location.schema } });
    expect(await payloadsCommand({ config, model: 'loans', since: '1h', output: local })).toMatchObject({ rows: 120, labelled: 80 });
    expect(readFileSync(remote, 'utf8')).toBe(readFileSync(local, 'utf8'));
    const labelled = join(tempDir(), 'labelled.csv');
    expect(await payloadsCommand({ config: buildConfig({}), model: 'loans', labelled: true, output: labelled, url: server.url, token: keys.read })).toMatchObject({ rows: 80, labelled: 80 });
    // The command line takes the token from BERTH_TOKEN.
    const fromBinary = join(tempDir(), 'binary.csv');
    const run = await runBerth(['payloads', 'loans', '--since', '1h', '--url', server.url, '-o', fromBinary], { BERTH_TOKEN: keys.read! });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Wrote 120 rows of loans (80 with the truth)');
    expect(readFileSync(fromBinary, 'utf8')).toBe(readFileSync(local, 'utf8'));
    await expect(payloadsCommand({ config: buildConfig({}), model: 'loans', output: labelled, url: server.url, token: keys.predict })).rejects.toMatchObject({
      code: 'BERTH_REMOTE_FAILED',
      message: expect.stringContaining('BERTH_AUTH_FORBIDDEN'),
    });
  });
});
