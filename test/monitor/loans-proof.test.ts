/**
 * The proof of issue 6 at the library level, on the loans data: a reference profile built from
 * loans_reference.csv (registered with the version, read back from the registry's tables), the
 * stable file recorded → nothing flagged and no alert; the drifted file recorded → annual_income,
 * credit_score, loan_amount and employment flagged, the drift alert fires, and a real local HTTP
 * webhook receives the JSON notification.
 */
import { join } from 'node:path';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProfile, type MonitorSchema, MonitorService, type PredictionEvent } from '../../src/monitor/index.js';
import { readCsvFile } from '../../src/train/index.js';
import { STORE_BACKENDS } from '../helpers/store-backends.js';
import { FileBlobStore, monitorStores } from '../../src/store/index.js';
import { monitorConfig, registerProfiled, registryReferences, storeOn } from './monitor-helpers.js';

type Columns = Record<string, (string | null)[]>;

async function columnsOf(file: string): Promise<Columns> {
  const table = await readCsvFile(new URL(`../fixtures/datasets/${file}.csv`, import.meta.url).pathname);
  return Object.fromEntries(table.header.map((name, j) => [name, table.rows.map((row) => (row[j] === '' ? null : row[j]!))]));
}

/** A webhook receiver on a free local port: resolves each POST body as JSON. */
function webhookReceiver(): Promise<{ server: Server; url: string; received: Promise<{ headers: IncomingMessage['headers']; body: unknown }> }> {
  return new Promise((resolve) => {
    let deliver!: (value: { headers: IncomingMessage['headers']; body: unknown }) => void;
    const received = new Promise<{ headers: IncomingMessage['headers']; body: unknown }>((r) => (deliver = r));
    const server = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk) => (text += chunk));
      request.on('end', () => {
        response.writeHead(204).end();
        deliver({ headers: request.headers, body: JSON.parse(text) as unknown });
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as { port: number };
      resolve({ server, url: `http://127.0.0.1:${address.port}/hooks/berth`, received });
    });
  });
}

const T0 = Date.parse('2025-03-01T08:00:00.000Z');
/** The loans features; these two are categories, the rest numbers (has_mortgage a 0/1 flag). */
const CATEGORICAL = new Set(['employment', 'region']);
const FEATURES = ['age', 'annual_income', 'employment', 'region', 'loan_amount', 'term_months', 'credit_score', 'open_accounts', 'has_mortgage'];

describe('loans end to end at the library level', () => {
  let reference: Columns;
  let stable: Columns;
  let drifted: Columns;
  let schema: MonitorSchema;
  beforeAll(async () => {
    [reference, stable, drifted] = await Promise.all([columnsOf('loans_reference'), columnsOf('loans_current_stable'), columnsOf('loans_current_drifted')]);
    schema = {
      features: FEATURES.map((name) => ({ name, kind: CATEGORICAL.has(name) ? 'categorical' : 'numeric' })),
      outputs: [{ name: 'label', kind: 'categorical' }],
    };
  });

  for (const backend of STORE_BACKENDS) {
    describe.skipIf(backend.skip !== undefined)(backend.name, () => {
      let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
      beforeAll(async () => {
        receiver = await webhookReceiver();
      });
      afterAll(async () => {
        await new Promise((r) => receiver.server.close(r));
      });

      it('flags nothing on the stable traffic, then the four drifted features, fires the alert and calls the webhook', async () => {
        const at = await storeOn(backend);
        const clock = { now: T0 };
        // The labels stand in for the model's predictions: the drifted file's default rate rose.
        const profile = buildProfile({ ...reference, label: reference.defaulted! }, schema);
        await registerProfiled(at.store, at.location.home, { name: 'loans', profile, aliases: ['production'] });
        const monitor = new MonitorService({
          stores: monitorStores(at.store, { logWriter: false, blobs: new FileBlobStore(join(at.location.home, 'blobs')) }),
          config: monitorConfig({
            windowMs: 60_000,
            webhooks: [receiver.url],
            webhookAllowPrivate: ['127.0.0.1'],
            rules: [{ id: 'loans-drift', model: 'loans', type: 'drift_share', threshold: 0.3, window: '1h' }],
          }),
          references: registryReferences(at.store, at.location.home),
          schemaFor: () => schema,
          now: () => clock.now,
          timers: false,
        });
        try {
          const send = (columns: Columns, prefix: string) => {
            const rows = columns.age!.length;
            // Requests of 10 rows, 25 requests a minute.
            for (let start = 0, i = 0; start < rows; start += 10, i++) {
              const slice = (name: string) => columns[name]!.slice(start, start + 10);
              const event: PredictionEvent = {
                model: 'loans',
                version: '1',
                requestId: `${prefix}-${i}`,
                at: clock.now + Math.floor(i / 25) * 60_000,
                protocol: 'predict',
                rows: Math.min(10, rows - start),
                latencyMs: 3,
                outcome: 'success',
                features: Object.fromEntries(FEATURES.map((name) => [name, slice(name)])),
                outputs: { label: slice('defaulted') },
              };
              monitor.record(event);
            }
            clock.now += 25 * 60_000;
          };

          send(stable, 'stable');
          await monitor.flush();
          const calm = await monitor.reports.drift('loans', { from: '1h' });
          expect(calm.version).toBe('1');
          expect(calm.rows).toBe(5000);
          expect(calm.features.filter((f) => f.drifted).map((f) => f.name)).toEqual([]);
          expect(calm.datasetDrift).toBe(false);
          expect(calm.predictionDrift?.drifted).toBe(false);
          expect(await monitor.evaluateAlerts()).toEqual([]);

          clock.now += 2 * 3_600_000;
          send(drifted, 'drifted');
          await monitor.flush();
          const report = await monitor.reports.drift('loans', { from: '1h' });
          expect(report.rows).toBe(5000);
          expect(report.features.filter((f) => f.drifted).map((f) => f.name).sort()).toEqual(['annual_income', 'credit_score', 'employment', 'loan_amount']);
          expect(report.features.find((f) => f.name === 'employment')!.unseenCategories!.categories.map(([c]) => c)).toContain('gig_worker');
          expect(report.predictionDrift?.drifted).toBe(true);

          const transitions = await monitor.evaluateAlerts();
          expect(transitions.map((t) => t.notification.state)).toEqual(['firing']);
          const { headers, body } = await receiver.received;
          expect(headers['content-type']).toBe('application/json');
          expect(body).toMatchObject({
            type: 'berth.alert',
            state: 'firing',
            model: 'loans',
            version: '1',
            threshold: 0.3,
            rule: { id: 'loans-drift', type: 'drift_share' },
          });
          expect((body as { value: number }).value).toBeCloseTo(4 / 9, 12);
          expect(await monitor.listAlerts('firing')).toMatchObject([{ rule: 'loans-drift', model: 'loans', state: 'firing' }]);

          const history = await monitor.reports.driftHistory('loans', { from: '4h', step: '1h' });
          expect(history.points.map((p) => p.rows)).toEqual([0, 5000, 0, 5000, 0]);
          expect(history.points[3]!.driftedShare).toBeCloseTo(4 / 9, 12);
          expect(history.points[1]!.driftedShare).toBe(0);
        } finally {
          await monitor.close();
          await at.cleanup();
        }
      });
    });
  }
});
