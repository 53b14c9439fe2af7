/**
 * The CloudEvents sink against a real local HTTP server: batches, retries with backoff, a sink
 * that is down, the bound, and a large batch sent as it is printed (chunked).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { CloudEventSink, type CloudEventSinkOptions, EVENT_TYPE, type PayloadCloudEvent } from '../../src/monitor/index.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const servers: Server[] = [];
const sinks: CloudEventSink[] = [];

afterEach(async () => {
  for (const sink of sinks.splice(0)) await sink.close();
  // Every request has been answered or given up: a POST cut short may still be closing.
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve).closeAllConnections());
});

/** A sink server answering each POST with the next status of `statuses` (then 200), remembering what it got. */
interface Post {
  readonly contentType: string | undefined;
  readonly contentLength: string | undefined;
  readonly transferEncoding: string | undefined;
  readonly text: string;
  readonly events: PayloadCloudEvent[];
}

async function sinkServer(statuses: number[] = []): Promise<{ url: string; posts: Post[] }> {
  const posts: Post[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const status = statuses.shift() ?? 200;
      const { headers } = request;
      if (status === 200) {
        posts.push({ contentType: headers['content-type'], contentLength: headers['content-length'], transferEncoding: headers['transfer-encoding'], text: body, events: JSON.parse(body) as PayloadCloudEvent[] });
      }
      response.writeHead(status).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/events`, posts };
}

function sink(url: string, overrides: Partial<CloudEventSinkOptions> = {}): CloudEventSink {
  const made = new CloudEventSink({ url, batchSize: 100, flushMs: 60_000, maxQueue: 10_000, attempts: 4, timeoutMs: 2000, source: 'berth/test', backoffMs: 5, ...overrides });
  sinks.push(made);
  return made;
}

const entry = (i: number) => ({ requestId: `r${i}`, at: T0 + i, version: '2', rows: 1, features: { age: [20 + i] }, outputs: { label: ['yes'] } });

describe('CloudEvents sink', () => {
  it('sends each logged request as a CloudEvent, in batches of the batched content mode', async () => {
    const server = await sinkServer();
    const events = sink(server.url);
    for (let i = 0; i < 250; i++) events.add('loans', entry(i));
    await events.flush();
    expect(server.posts.map((p) => p.events.length)).toEqual([100, 100, 50]);
    expect(server.posts[0]!.contentType).toBe('application/cloudevents-batch+json; charset=utf-8');
    expect(server.posts[0]!.events[3]).toEqual({
      specversion: '1.0',
      id: 'r3',
      source: 'berth/test',
      type: EVENT_TYPE,
      subject: 'loans',
      time: new Date(T0 + 3).toISOString(),
      datacontenttype: 'application/json',
      data: { model: 'loans', version: '2', requestId: 'r3', rows: 1, inputs: { age: [23] }, outputs: { label: ['yes'] } },
    });
    expect(events.counts).toEqual({ sent: 250, dropped: 0, failed: 0, queued: 0 });
  });

  it('retries a batch the sink could not take, with backoff, and gives up after its attempts', async () => {
    const server = await sinkServer([503, 429]);
    const troubles: (string | undefined)[] = [];
    const events = sink(server.url, { onTrouble: (problem) => troubles.push(problem) });
    events.add('loans', entry(1));
    await events.flush();
    expect(server.posts.map((p) => p.events.map((e) => e.id))).toEqual([['r1']]);
    expect(troubles).toEqual(['the sink answered 503', undefined]);

    const failing = await sinkServer([500, 500, 500, 500]);
    const giving = sink(failing.url);
    giving.add('loans', entry(2));
    await giving.flush();
    expect(giving.counts).toMatchObject({ sent: 0, failed: 1 });
    expect(failing.posts).toEqual([]);
  });

  it('counts a sink that is down or refuses a batch, never throwing, and drops what passes the bound', async () => {
    const troubles: (string | undefined)[] = [];
    // A port nothing listens on.
    const closed = await sinkServer();
    const url = closed.url;
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const down = sink(url, { attempts: 2, onTrouble: (problem) => troubles.push(problem) });
    for (let i = 0; i < 3; i++) down.add('loans', entry(i));
    await expect(down.flush()).resolves.toBeUndefined();
    expect(down.counts).toMatchObject({ sent: 0, failed: 3 });
    expect(troubles).toHaveLength(1);
    expect(troubles[0]).toContain('could not be reached');

    const refusing = await sinkServer([400]);
    const refused = sink(refusing.url);
    refused.add('loans', entry(1));
    await refused.flush();
    expect(refused.counts).toMatchObject({ failed: 1 });

    const small = sink(url, { maxQueue: 5 });
    for (let i = 0; i < 8; i++) small.add('loans', entry(i));
    expect(small.counts).toMatchObject({ queued: 5, dropped: 3 });
  });

  it('bounds the queue and each POST by rows: a large request counts one per 64 of its rows', async () => {
    const rowsOf = (n: number, i: number) => ({ ...entry(i), rows: n, features: { age: Array.from({ length: n }, (_, r) => r) }, outputs: { label: Array.from({ length: n }, () => 'yes') } });
    const bounded = sink('http://127.0.0.1:9/unused', { maxQueue: 10 });
    bounded.add('loans', rowsOf(64 * 8, 0));
    bounded.add('loans', rowsOf(64 * 3, 1));
    bounded.add('loans', entry(2));
    bounded.add('loans', entry(3));
    expect(bounded.counts).toMatchObject({ queued: 3, dropped: 1 });

    const { url, posts } = await sinkServer();
    const batched = sink(url, { batchSize: 4 });
    batched.add('loans', rowsOf(64 * 3, 0));
    batched.add('loans', rowsOf(64 * 2, 1));
    batched.add('loans', rowsOf(64 * 9, 2));
    batched.add('loans', entry(3));
    batched.add('loans', entry(4));
    await batched.flush();
    // Each POST holds at most 4 weights' worth, and an event heavier than that goes alone.
    expect(posts.map((p) => p.events.map((e) => e.data.rows))).toEqual([[192], [128], [576], [1, 1]]);
    expect(batched.counts).toMatchObject({ sent: 5, queued: 0 });
  });

  it('sends a batch of 1 MiB or more as it is printed (chunked), the bytes JSON.stringify gives', async () => {
    const rows = 60_000;
    const large = { ...entry(0), rows, features: { age: Array.from({ length: rows }, (_, r) => 18 + (r % 70) / 3), city: Array.from({ length: rows }, (_, r) => (r % 4 ? 'Zürich' : null)) }, outputs: { score: Array.from({ length: rows }, (_, r) => Math.fround(r / rows)) } };
    const { url, posts } = await sinkServer([503]);
    const events = sink(url, { batchSize: 10_000 });
    events.add('loans', large);
    events.add('loans', entry(1));
    await events.flush();
    // Retried after the 503: each attempt prints the body again.
    expect(events.counts).toEqual({ sent: 2, dropped: 0, failed: 0, queued: 0 });
    expect(posts).toHaveLength(1);
    const [post] = posts;
    const expected = [
      { specversion: '1.0', id: 'r0', source: 'berth/test', type: EVENT_TYPE, subject: 'loans', time: new Date(T0).toISOString(), datacontenttype: 'application/json', data: { model: 'loans', version: '2', requestId: 'r0', rows, inputs: large.features, outputs: large.outputs } },
      { specversion: '1.0', id: 'r1', source: 'berth/test', type: EVENT_TYPE, subject: 'loans', time: new Date(T0 + 1).toISOString(), datacontenttype: 'application/json', data: { model: 'loans', version: '2', requestId: 'r1', rows: 1, inputs: { age: [21] }, outputs: { label: ['yes'] } } },
    ];
    expect(Buffer.byteLength(post!.text)).toBeGreaterThan(1024 * 1024);
    expect(post!.text === JSON.stringify(expected)).toBe(true);
    expect(post!.events).toEqual(expected);
    expect(post!).toMatchObject({ contentType: 'application/cloudevents-batch+json; charset=utf-8', transferEncoding: 'chunked', contentLength: undefined });

    // A small batch goes whole, with its length.
    const small = await sinkServer();
    const whole = sink(small.url);
    whole.add('loans', entry(2));
    await whole.flush();
    expect(small.posts[0]).toMatchObject({ contentLength: String(Buffer.byteLength(small.posts[0]!.text)), transferEncoding: undefined });
  });

  it('gives up a batch that cannot be written as JSON at once, reported as such, small or sent as it is printed', async () => {
    const { url, posts } = await sinkServer();
    const rows = 60_000;
    const unwritable = { toJSON: () => { throw new Error('no JSON for this value'); } };
    const small = { ...entry(0), outputs: { label: [unwritable] } };
    // Its first MiB is sent before the value that cannot be printed is reached.
    const large = { ...entry(1), rows, features: { age: Array.from({ length: rows }, (_, r) => r / 3) }, outputs: { label: [...Array.from({ length: rows - 1 }, () => 'yes'), unwritable] } };
    for (const [made, id] of [[small, 'r0'], [large, 'r1']] as const) {
      const troubles: (string | undefined)[] = [];
      const unwritables: string[] = [];
      const events = sink(url, { attempts: 3, onTrouble: (problem) => troubles.push(problem), onUnwritable: (problem) => unwritables.push(problem) });
      events.add('loans', made);
      await events.flush();
      expect(events.counts).toMatchObject({ sent: 0, failed: 1, queued: 0 });
      expect(unwritables).toEqual([`event ${id} could not be written as JSON: no JSON for this value`]);
      // Neither retried nor taken for a sink that is down.
      expect(troubles).toEqual([]);
    }
    expect(posts).toEqual([]);
    // The sink goes on with the next batch.
    const next = sink(url);
    next.add('loans', entry(2));
    await next.flush();
    expect(posts.map((p) => p.events.map((e) => e.id))).toEqual([['r2']]);
  });

  it('gives up a POST that takes longer than timeoutMs, small or sent as it is printed', async () => {
    // A sink that reads what it is sent and never answers.
    const silent = createServer((request) => request.resume());
    servers.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}/events`;
    const rows = 60_000;
    for (const made of [entry(0), { ...entry(1), rows, features: { age: Array.from({ length: rows }, (_, r) => r / 3) } }]) {
      const troubles: (string | undefined)[] = [];
      const events = sink(url, { attempts: 1, timeoutMs: 200, onTrouble: (problem) => troubles.push(problem) });
      events.add('loans', made);
      await events.flush();
      expect(events.counts).toMatchObject({ sent: 0, failed: 1 });
      expect(troubles).toEqual(['the sink could not be reached: The operation was aborted due to timeout']);
    }
    silent.closeAllConnections();
  });
});
