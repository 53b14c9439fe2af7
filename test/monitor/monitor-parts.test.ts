/**
 * The monitoring service's parts on their own: the webhook notifier's retries, time ranges,
 * performance metrics (equal to the trainer's), column learning and its cap, tolerant window
 * merging, the read-write lock, and the columns a manifest declares.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type AlertRule, AlertRuleSchema } from '../../src/core/alert-rule.js';
import { formatDuration, parseDuration } from '../../src/core/duration.js';
import {
  type AlertNotification,
  type AlertRuleRecord,
  classificationPerformance,
  ColumnCatalog,
  KllSketch,
  LiveWindow,
  mergeMonitorWindows,
  monitorSchemaFromManifest,
  parseStep,
  parseTimeRange,
  regressionPerformance,
  sketchQuantiles,
  WebhookNotifier,
} from '../../src/monitor/index.js';
import { ReadWriteLock } from '../../src/monitor/read-write-lock.js';
import { classificationMetrics, regressionMetrics } from '../../src/train/index.js';

const NOTIFICATION: AlertNotification = {
  type: 'berth.alert',
  state: 'firing',
  rule: { id: 'r', name: 'r', type: 'error_rate' },
  model: 'm',
  version: '1',
  value: 0.7,
  threshold: 0.5,
  since: '2025-03-01T10:00:00.000Z',
  message: 'm: error rate is 0.7',
};
const RULE = { ...(AlertRuleSchema.parse({ type: 'error_rate', threshold: 0.5 }) as AlertRule), id: 'r', source: 'api' } as AlertRuleRecord;

/** The receivers below listen on loopback, which webhooks may reach only when allowed. */
const LOOPBACK = ['127.0.0.0/8'];

describe('WebhookNotifier', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  /** A receiver answering each POST with the next status of `statuses` (the last one repeated). */
  async function receiver(statuses: number[], headers: Record<string, string> = {}): Promise<{ url: string; bodies: unknown[] }> {
    const bodies: unknown[] = [];
    const server = createServer((request, response) => {
      let text = '';
      request.on('data', (c) => (text += c));
      request.on('end', () => {
        bodies.push(JSON.parse(text));
        response.writeHead(statuses[Math.min(bodies.length - 1, statuses.length - 1)]!, headers).end();
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, bodies };
  }

  it('retries 5xx answers with backoff until one succeeds', async () => {
    const hook = await receiver([503, 500, 204]);
    const gaveUp: string[] = [];
    const notifier = new WebhookNotifier({ urls: [hook.url], allowPrivate: LOOPBACK, attempts: 5, baseDelayMs: 5, onGiveUp: (url) => gaveUp.push(url) });
    await notifier.notify(NOTIFICATION, RULE);
    expect(hook.bodies).toEqual([NOTIFICATION, NOTIFICATION, NOTIFICATION]);
    expect(gaveUp).toEqual([]);
  });

  it("does not retry a receiver's refusal (4xx), gives up after the attempts, and sends to the rule's webhooks too", async () => {
    const refusing = await receiver([400]);
    const failing = await receiver([500]);
    const gaveUp: string[] = [];
    const notifier = new WebhookNotifier({ urls: [refusing.url], allowPrivate: LOOPBACK, attempts: 3, baseDelayMs: 1, onGiveUp: (url, reason) => gaveUp.push(`${url} ${reason}`) });
    await notifier.notify(NOTIFICATION, { ...RULE, webhooks: [failing.url] });
    expect(refusing.bodies).toHaveLength(1);
    expect(failing.bodies).toHaveLength(3);
    expect(gaveUp.sort()).toEqual([`${failing.url} HTTP 500`, `${refusing.url} HTTP 400`].sort());
  });

  it('refuses loopback, private and metadata addresses unless allowed, by address and by name, without retrying', async () => {
    const hook = await receiver([204]);
    const port = new URL(hook.url).port;
    const gaveUp: string[] = [];
    const urls = [hook.url, `http://localhost:${port}/hook`, 'http://169.254.169.254/latest/meta-data', 'http://[::ffff:10.0.0.1]/hook'];
    const notifier = new WebhookNotifier({ urls, attempts: 3, baseDelayMs: 1, onGiveUp: (url, reason) => gaveUp.push(`${url} ${reason}`) });
    await notifier.notify(NOTIFICATION, RULE);
    expect(hook.bodies).toEqual([]);
    expect(gaveUp).toHaveLength(4);
    expect(gaveUp.find((g) => g.startsWith(hook.url))).toContain('loopback range');
    expect(gaveUp.find((g) => g.includes('localhost'))).toContain('monitor.webhookAllowPrivate');
    expect(gaveUp.find((g) => g.includes('169.254'))).toContain('linkLocal range');
    expect(gaveUp.find((g) => g.includes('ffff'))).toContain('private range');
    // Allowed by name, the same receiver is reached.
    const allowed = new WebhookNotifier({ urls: [`http://localhost:${port}/hook`], allowPrivate: ['localhost'], attempts: 1 });
    await allowed.notify(NOTIFICATION, RULE);
    expect(hook.bodies).toEqual([NOTIFICATION]);
  });

  it('does not follow redirects: the body never reaches where a redirect points', async () => {
    const target = await receiver([204]);
    const redirecting = await receiver([307], { location: target.url });
    const gaveUp: string[] = [];
    const notifier = new WebhookNotifier({ urls: [redirecting.url], allowPrivate: LOOPBACK, attempts: 3, baseDelayMs: 1, onGiveUp: (url, reason) => gaveUp.push(reason) });
    await notifier.notify(NOTIFICATION, RULE);
    expect(redirecting.bodies).toHaveLength(1);
    expect(target.bodies).toEqual([]);
    expect(gaveUp).toEqual(['HTTP 307 (redirects are not followed)']);
  });

  it('gives up waiting at close: a delivery in backoff is abandoned', async () => {
    const failing = await receiver([503]);
    const notifier = new WebhookNotifier({ urls: [failing.url], allowPrivate: LOOPBACK, attempts: 10, baseDelayMs: 60_000 });
    const delivery = notifier.notify(NOTIFICATION, RULE);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await notifier.close(50);
    await delivery;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(failing.bodies).toHaveLength(1);
  });
});

describe('time ranges', () => {
  const now = Date.parse('2025-03-01T10:30:20.000Z');
  const minute = 60_000;

  it('defaults to the last 24 hours of whole windows, including the window of now', () => {
    expect(parseTimeRange({}, now, minute)).toEqual({ from: Date.parse('2025-02-28T10:30:00.000Z'), to: Date.parse('2025-03-01T10:31:00.000Z') });
  });

  it('reads ISO times and durations ago', () => {
    expect(parseTimeRange({ from: '1h', to: '30m' }, now, minute)).toEqual({ from: Date.parse('2025-03-01T09:30:00.000Z'), to: Date.parse('2025-03-01T10:01:00.000Z') });
    expect(parseTimeRange({ from: '2025-03-01T08:00:00Z', to: '2025-03-01T09:00:00Z' }, now, minute)).toEqual({
      from: Date.parse('2025-03-01T08:00:00Z'),
      to: Date.parse('2025-03-01T09:00:00Z'),
    });
    for (const [from, to] of [['yesterday', undefined], ['100', undefined], ['1h', '2h']] as const) {
      expect(() => parseTimeRange({ from, to }, now, minute)).toThrow(expect.objectContaining({ code: 'BERTH_MONITOR_RANGE_INVALID' }));
    }
  });

  it('says a duration ago past the cap is too long, not that it is no duration', () => {
    for (const from of ['99999999999d', '365251d', '100000w']) {
      expect(() => parseTimeRange({ from }, now, minute), from).toThrow(expect.objectContaining({ code: 'BERTH_MONITOR_RANGE_INVALID', message: expect.stringContaining('longer than the most a duration may be, 365250d') }));
    }
    expect(parseTimeRange({ from: '365250d' }, now, minute).from).toBeLessThan(now);
    expect(() => parseStep('99999999999d', parseTimeRange({}, now, minute), minute)).toThrow(/step=99999999999d .*longer than the most a duration may be, 365250d/);
  });

  it('cuts a range into about 24 steps of whole windows unless told, and refuses too many points', () => {
    const day = parseTimeRange({}, now, minute);
    expect(parseStep(undefined, day, minute)).toBe(61 * minute);
    expect(parseStep('1h', day, minute)).toBe(3_600_000);
    expect(() => parseStep('30s', day, minute)).toThrow(expect.objectContaining({ code: 'BERTH_MONITOR_RANGE_INVALID' }));
    expect(() => parseStep('1m', parseTimeRange({ from: '30d' }, now, minute), minute)).toThrow(/at most 2000/);
    expect([parseDuration('90s'), parseDuration('1.5h'), parseDuration('250'), parseDuration('x'), parseDuration('0m')]).toEqual([90_000, 5_400_000, 250, undefined, undefined]);
    expect([formatDuration(3_600_000), formatDuration(90_000), formatDuration(1500)]).toEqual(['1h', '90s', '1500ms']);
  });
});

describe('performance metrics', () => {
  it("equal the trainer's definitions (accuracy, macro F1, ROC AUC; RMSE, MAE, R²)", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (const labels of [['no', 'yes'], ['a', 'b', 'c']]) {
      const n = 300;
      const k = labels.length;
      const truth = Array.from({ length: n }, () => Math.floor(random() * k));
      const probabilities = new Float64Array(n * k);
      for (let r = 0; r < n; r++) {
        let sum = 0;
        for (let c = 0; c < k; c++) sum += probabilities[r * k + c] = random() + (c === truth[r] ? 0.6 : 0);
        for (let c = 0; c < k; c++) probabilities[r * k + c]! /= sum;
      }
      const expected = classificationMetrics(truth, probabilities, labels);
      const predicted = Array.from({ length: n }, (_, r) => {
        let best = 0;
        for (let c = 1; c < k; c++) if (probabilities[r * k + c]! > probabilities[r * k + best]!) best = c;
        return labels[best]!;
      });
      const scores = Object.fromEntries(labels.map((l, c) => [l, Array.from({ length: n }, (_, r) => probabilities[r * k + c]!)]));
      const got = classificationPerformance(truth.map((t) => labels[t]!), predicted, labels, scores);
      expect(got.accuracy).toBeCloseTo(expected.accuracy, 12);
      expect(got.f1).toBeCloseTo(expected.macroF1, 12);
      expect(got.rocAuc).toBeCloseTo(expected.rocAuc, 12);
    }
    const truth = Array.from({ length: 100 }, (_, i) => i * 0.5);
    const predicted = truth.map((t, i) => t + Math.sin(i));
    const expected = regressionMetrics(truth, predicted);
    const got = regressionPerformance(truth, predicted);
    expect([got.rmse, got.mae, got.r2]).toEqual([expected.rmse, expected.mae, expected.r2].map((x) => expect.closeTo(x, 12)));
    expect(classificationPerformance(['a', 'a'], ['a', 'b'], ['a', 'b'], { b: [0.1, 0.9] }).rocAuc).toBeNull();
  });
});

describe('windows', () => {
  it('learns undeclared columns up to the cap, by the kind of their first value', () => {
    const catalog = new ColumnCatalog({ features: [{ name: 'declared', kind: 'numeric' }] }, 3);
    const window = new LiveWindow(0, catalog, {});
    window.record({ model: 'm', version: '1', requestId: 'a', at: 0, protocol: 'v2-rest', rows: 2, latencyMs: 1, outcome: 'success', features: { 'x[0]': [1, 2], 'x[1]': ['p', 'q'], 'x[2]': [3, 4], bad: 'not a list' as never } });
    window.record({ model: 'm', version: '1', requestId: 'b', at: 0, protocol: 'v2-rest', rows: 1, latencyMs: 1, outcome: 'success', features: { 'x[0]': [5, 6, 7] } });
    const data = window.toData();
    expect(Object.keys(data.sketches.features)).toEqual(['declared', 'x[0]', 'x[1]']);
    expect(data.sketches.features.declared).toMatchObject({ count: 3, missing: 3 });
    expect(data.sketches.features['x[0]']).toMatchObject({ kind: 'numeric', count: 3, n: 3 });
    expect(data.sketches.features['x[1]']).toMatchObject({ kind: 'categorical', count: 3, missing: 1 });
    expect(catalog.dropped).toBe(1);
  });

  it('never sketches the columns a schema leaves out (a date moves on with time)', () => {
    const schema = monitorSchemaFromManifest({
      schema: {
        format: 'berth.schema/v1',
        features: [
          { name: 'signup', type: 'datetime', required: true, parts: ['year'] },
          { name: 'plan', type: 'category', required: true, categories: ['a'], outOfRange: 'accept' },
        ],
      },
    });
    expect(schema).toMatchObject({ features: [{ name: 'plan', kind: 'categorical' }], skipped: [{ name: 'signup', reason: expect.stringContaining('a date') }] });
    const window = new LiveWindow(0, new ColumnCatalog(schema, 10), {});
    window.record({ model: 'm', version: '1', requestId: 'a', at: 0, protocol: 'predict', rows: 1, latencyMs: 1, outcome: 'success', features: { signup: [1.7e12], plan: ['a'] } });
    expect(Object.keys(window.toData().sketches.features)).toEqual(['plan']);
  });

  it('counts every column whatever order, gaps or late arrivals the requests bring', () => {
    const window = new LiveWindow(0, new ColumnCatalog(undefined, 10), {});
    const e = { model: 'm', version: '1', requestId: 'a', at: 0, protocol: 'predict', rows: 1, latencyMs: 1, outcome: 'success' } as const;
    window.record({ ...e, features: { a: [1], b: ['x'] } });
    window.record({ ...e, features: { b: ['y'], a: [2] } }); // the same columns, the other order
    window.record({ ...e, features: { a: [3], late: 'not yet a list' as never } });
    window.record({ ...e, features: { a: [4], late: [10] } }); // the first time `late` can be sketched
    window.record({ ...e, features: { b: ['z'] } });
    const { features } = window.toData().sketches;
    expect(features.a).toMatchObject({ count: 5, n: 4, missing: 1, min: 1, max: 4 });
    expect(features.b).toMatchObject({ count: 5, missing: 2 });
    expect(features.late).toMatchObject({ count: 2, n: 1, missing: 1 });
  });

  it('merges windows whose column kinds disagree by leaving the odd ones out, and reads latency quantiles', () => {
    const catalog = () => new ColumnCatalog(undefined, 10);
    const a = new LiveWindow(0, catalog(), {});
    const b = new LiveWindow(0, catalog(), {});
    const e = { model: 'm', version: '1', requestId: 'a', at: 0, protocol: 'predict', rows: 1, outcome: 'success' } as const;
    for (let i = 1; i <= 100; i++) a.record({ ...e, latencyMs: i, features: { code: [i] } });
    b.record({ ...e, latencyMs: 1000, features: { code: ['A7'] } });
    const merged = mergeMonitorWindows([a.toData(), b.toData()], new Map([['code', 'numeric']]));
    expect(merged.rows).toBe(101);
    expect(merged.sketches.features.code).toMatchObject({ kind: 'numeric', count: 100 });
    expect(sketchQuantiles(merged.latency, [0.5, 0.99, 1])).toEqual([51, 100, 1000]);
  });

  it("declares a manifest's columns: schema ranges, pipeline outputs, the profile's kinds winning", () => {
    const schema = monitorSchemaFromManifest({
      schema: {
        format: 'berth.schema/v1',
        features: [
          { name: 'age', type: 'integer', required: true, min: 18, max: 99, outOfRange: 'clip' },
          { name: 'zip', type: 'integer', required: false, outOfRange: 'accept' },
        ],
      },
      pipeline: { format: 'berth.pipeline/v1', input: 'x', steps: [], output: { task: 'classification', target: 'y', tensor: 'p', labels: ['no', 'yes'] } },
      profile: { formatVersion: 1, rows: 1, features: [{ name: 'zip', kind: 'categorical' }], outputs: [] },
    });
    expect(schema).toEqual({
      features: [
        { name: 'age', kind: 'numeric', min: 18, max: 99 },
        { name: 'zip', kind: 'categorical' },
      ],
      outputs: [
        { name: 'label', kind: 'categorical' },
        { name: 'probability_no', kind: 'numeric' },
        { name: 'probability_yes', kind: 'numeric' },
      ],
    });
    expect(monitorSchemaFromManifest({})).toBeUndefined();
  });
});

describe('KllSketch.updateMany', () => {
  it('summarises a batch as well as value-by-value updates: every rank within 1% at k = 400', () => {
    const n = 200_000;
    const values = Float64Array.from({ length: n }, (_, i) => ((i * 7919) % n) - n / 3);
    const sketch = new KllSketch(400);
    for (let i = 0; i < n; i += 256) sketch.updateMany(values.subarray(i, i + 256));
    expect(sketch.count).toBe(n);
    const sample = sketch.sample();
    let below = 0;
    let worst = 0;
    for (let i = 0; i < sample.values.length; i++) {
      // Values are a permutation of integers from -n/3: the true rank of v is v + n/3.
      worst = Math.max(worst, Math.abs(below - (sample.values[i]! + n / 3)) / n);
      below += sample.weights[i]!;
    }
    expect(worst).toBeLessThan(0.01);
  });
});

describe('ReadWriteLock', () => {
  it('lets readers share, makes a writer wait for them, and holds new readers while it writes', async () => {
    const lock = new ReadWriteLock();
    const log: string[] = [];
    const step = () => new Promise((r) => setTimeout(r, 5));
    const reader = (name: string) => lock.read(async () => {
      log.push(`${name}+`);
      await step();
      log.push(`${name}-`);
    });
    const writer = lock.write(async () => {
      log.push('w+');
      await step();
      log.push('w-');
    });
    await Promise.all([writer, reader('a'), reader('b')]);
    const first = lock.read(async () => log.push('r1'));
    const second = lock.write(async () => log.push('w2'));
    const third = lock.read(async () => log.push('r3'));
    await Promise.all([first, second, third]);
    expect(log.slice(0, 2)).toEqual(['w+', 'w-']);
    expect(log.slice(2, 6).sort()).toEqual(['a+', 'a-', 'b+', 'b-']);
    expect(log.slice(6)).toEqual(['r1', 'w2', 'r3']);
  });
});
