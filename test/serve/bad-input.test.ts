/**
 * Every class of bad input gets a clear catalogue error with the right status, and the server
 * keeps serving afterwards. The protocol's own bad requests (malformed tensors, unknown inputs and
 * outputs, bad binary headers, unknown models) are checks of the conformance suite, run in
 * oip-conformance.test.ts; these are the server's limits and the HTTP layer.
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../dist/serve/server.js';
import { FIXTURE_ROOT } from '../helpers/fixtures.js';
import { tempDir, writeIdentityModel, writeTwoInOutModel, writeWidenModel } from '../helpers/models.js';
import { postJson, startTestServer } from '../helpers/server.js';

const BODY_LIMIT = 64 * 1024;
const RESPONSE_LIMIT = 1024 * 1024;
const REQUEST_TIMEOUT_MS = 1000;
let server: RunningServer;
let infer: string;

beforeAll(async () => {
  const dir = tempDir();
  server = await startTestServer(
    [
      { name: 'pair', path: writeTwoInOutModel(dir) },
      { name: 'fp32', path: writeIdentityModel(dir, 'FP32') },
      { name: 'expand', path: `${FIXTURE_ROOT}/simple/test_expand_shape_model1.onnx` },
      { name: 'widen', path: writeWidenModel(dir) },
    ],
    { server: { bodyLimit: BODY_LIMIT, maxResponseBytes: RESPONSE_LIMIT, requestTimeoutMs: REQUEST_TIMEOUT_MS } },
  );
  infer = `${server.url}/v2/models/pair/infer`;
});
afterAll(async () => {
  await server?.close();
});

const a = { name: 'a', datatype: 'FP32', shape: [1, 2], data: [1, 2] };
const b = { name: 'b', datatype: 'FP32', shape: [1, 2], data: [3, 4] };

async function expectServing(): Promise<void> {
  const { status, json } = await postJson(infer, { inputs: [a, b] });
  expect(status).toBe(200);
  expect((json.outputs as { data: number[] }[])[0]!.data).toEqual([4, 6]);
}

describe('bad input', () => {
  it('refuses a huge shape with little data before allocating it', async () => {
    const data = Array.from({ length: 64 }, () => 1);
    const { status, json } = await postJson(`${server.url}/v2/models/fp32/infer`, {
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1000000000, 3], data }],
    });
    expect(status).toBe(400);
    expect(json.code).toBe('BERTH_INPUT_DATA_LENGTH');
    expect(json.error).toContain('3000000000 elements');
    await expectServing();
  });

  it('INT64 data of long digit runs is refused quickly, never parsed as a huge BigInt', async () => {
    // Numbers of 1,000 digits: past 20 digits no 64-bit integer exists, so none is parsed as one.
    const big = Array.from({ length: 2 }, () => '7'.repeat(1000)).join(',');
    const response = await postJson(`${server.url}/v2/models/expand/infer`, `{"inputs":[{"name":"X","datatype":"FP32","shape":[1,3,1],"data":[1,2,3]},{"name":"shape","datatype":"INT64","shape":[2],"data":[${big}]}]}`);
    expect(response.status).toBe(400);
    expect(response.json.code).toBe('BERTH_INPUT_VALUE');
    await expectServing();
  });

  it('413 for an answer over the response limit: before the run when the signature fixes its size, after it otherwise', async () => {
    // widen: [rows, 1] -> [rows, 4096] FP32, 16 KiB a row; 100 rows are 1.6 MB.
    const x = { name: 'x', datatype: 'FP32', shape: [100, 1], data: Array.from({ length: 100 }, (_, i) => i) };
    const widened = await postJson(`${server.url}/v2/models/widen/infer`, { inputs: [x] });
    expect(widened.status).toBe(413);
    expect(widened.json.code).toBe('BERTH_RESPONSE_TOO_LARGE');
    expect(widened.json.error).toContain(`1638400 bytes of tensor data, more than the limit of ${RESPONSE_LIMIT} bytes`);
    const small = await postJson(`${server.url}/v2/models/widen/infer`, { inputs: [{ ...x, shape: [2, 1], data: [1, 2] }] });
    expect(small.status).toBe(200);
    // expand's output size depends on its input's values: refused once the run has told it.
    const expanded = await postJson(`${server.url}/v2/models/expand/infer`, {
      inputs: [
        { name: 'X', datatype: 'FP32', shape: [1, 3, 1], data: [1, 2, 3] },
        { name: 'shape', datatype: 'INT64', shape: [2], data: [3, 1_000_000] },
      ],
    });
    expect(expanded.status).toBe(413);
    expect(expanded.json.error).toContain('12000000 bytes');
    await expectServing();
  });

  it('405 with Allow for a method a path does not accept', async () => {
    const response = await fetch(infer, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    const json = (await response.json()) as { code: string; error: string };
    expect(json).toEqual({ code: 'BERTH_METHOD_NOT_ALLOWED', error: '/v2/models/pair/infer does not accept PUT; use POST.' });
  });

  it('refuses data nested deeper than any tensor', async () => {
    const deep = `${'['.repeat(20000)}1${']'.repeat(20000)}`;
    const { status, json } = await postJson(`${server.url}/v2/models/fp32/infer`, `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":${deep}}]}`);
    expect(status).toBe(400);
    expect(json.error).toMatch(/nested deeper|not valid JSON/);
    await expectServing();
  });

  it.each([['/v1/models/nope:predict', 'BERTH_MODEL_NOT_FOUND', "Model 'nope'"]])('404 for %s', async (path, code, message) => {
    const response = await postJson(`${server.url}${path}`, { inputs: [a, b] });
    expect(response.status).toBe(404);
    expect(response.json.code).toBe(code);
    expect(response.json.error).toContain(message);
  });

  it('404 for unknown routes and metadata of unknown models', async () => {
    for (const path of ['/v2/models/nope', '/v2/models/pair/versions/3', '/v3', '/v1/models/nope']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { error: string }).error).toBeTruthy();
    }
  });

  it('405 naming the methods a path takes, when it takes others', async () => {
    for (const [method, path, allowed] of [
      ['PUT', '/v2/models/pair/infer', 'POST'],
      ['GET', '/v2/models/pair/versions/1/infer', 'POST'],
      ['DELETE', '/v2/models/pair', 'GET'],
    ] as const) {
      const response = await fetch(`${server.url}${path}`, { method });
      expect([path, response.status, response.headers.get('allow')]).toEqual([path, 405, allowed]);
      const json = (await response.json()) as { code: string; error: string };
      expect(json.code).toBe('BERTH_METHOD_NOT_ALLOWED');
      expect(json.error).toBe(`${path} does not accept ${method}; use ${allowed}.`);
    }
    const unknown = await fetch(`${server.url}/v3/models`, { method: 'PUT' });
    expect(unknown.status).toBe(404);
  });

  it('415 for a content type it cannot read', async () => {
    const response = await fetch(infer, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ inputs: [a, b] }) });
    expect(response.status).toBe(415);
    const json = (await response.json()) as { code: string; error: string };
    expect(json.code).toBe('BERTH_REQUEST_UNSUPPORTED_MEDIA_TYPE');
    expect(json.error).toContain('application/json');
  });

  it('413 for a body over the limit', async () => {
    const big = JSON.stringify({ inputs: [{ ...a, data: Array.from({ length: BODY_LIMIT }, () => 1) }, b] });
    const response = await postJson(infer, big);
    expect(response.status).toBe(413);
    expect(response.json.code).toBe('BERTH_REQUEST_TOO_LARGE');
    await expectServing();
  });

  it('413 early: a Content-Length over the limit is refused before the body is sent', async () => {
    // Send only the headers, claiming a gigabyte; the answer must come without any body bytes.
    const url = new URL(infer);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(`POST ${url.pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n`);
      });
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk.toString();
        if (received.includes('\r\n\r\n') && received.includes('}')) {
          socket.destroy();
          resolve(received);
        }
      });
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1.1 413/);
    expect(answer).toContain('BERTH_REQUEST_TOO_LARGE');
  });

  it('408 and a closed connection for a body trickled slower than the request timeout', async () => {
    const url = new URL(infer);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(`POST ${url.pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
    // One byte every 200 ms keeps the socket busy, which an idle timeout would not catch.
    const trickle = setInterval(() => socket.writable && socket.write(' '), 200);
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('error', () => undefined);
    // Without the timeout this would wait minutes; the test's own timeout fails it then.
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    clearInterval(trickle);
    expect(received).toMatch(/^HTTP\/1.1 408/);
    expect(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4))).toMatchObject({ code: 'BERTH_REQUEST_TIMEOUT', error: expect.stringContaining('requestTimeoutMs') });
    await expectServing();
  });

  it('431 from the catalogue for headers over the limit, 400 for bytes that are not HTTP', async () => {
    const url = new URL(infer);
    const rawAnswer = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(url.port), url.hostname);
        let received = '';
        socket.on('data', (chunk) => (received += chunk.toString()));
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(received));
        socket.once('connect', () => socket.write(text));
        socket.once('timeout', () => reject(new Error('no answer')));
      });
    const huge = await rawAnswer(`GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1.1 431/);
    expect(huge).toContain('BERTH_REQUEST_HEADERS_TOO_LARGE');
    const garbage = await rawAnswer('NOT HTTP AT ALL\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1.1 400/);
    expect(garbage).toContain('BERTH_REQUEST_MALFORMED_HTTP');
    await expectServing();
  });

  it('an empty body is a 400', async () => {
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(infer, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': 0 } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(response.status).toBe(400);
    expect(response.body).toContain('BERTH_REQUEST_INVALID');
  });

  it('500 only when the model itself fails at run time, with its message', async () => {
    // Expand to shape [5, 7] cannot broadcast a [1, 3, 1] input: the request passes every check
    // Berth can make from the signature, and onnxruntime refuses it while running.
    const { status, json } = await postJson(`${server.url}/v2/models/expand/infer`, {
      inputs: [
        { name: 'X', datatype: 'FP32', shape: [1, 3, 1], data: [1, 2, 3] },
        { name: 'shape', datatype: 'INT64', shape: [2], data: [5, 7] },
      ],
    });
    expect(status).toBe(500);
    expect(json.code).toBe('BERTH_MODEL_EXECUTION_FAILED');
    expect(json.error).toContain('invalid expand shape');
    await expectServing();
  });

  it('echoes a request id header, or makes one', async () => {
    const mine = await fetch(`${server.url}/v2/health/live`, { headers: { 'x-request-id': 'abc-123' } });
    expect(mine.headers.get('x-request-id')).toBe('abc-123');
    const made = await fetch(`${server.url}/v2/health/live`);
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('makes time-ordered request ids (UUIDv7), so the prediction log appends to its index', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await fetch(`${server.url}/v2/health/live`)).headers.get('x-request-id')!);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // The first 48 bits are the time in ms: they never go back.
    const times = ids.map((id) => id.replace('-', '').slice(0, 12));
    expect([...times].sort()).toEqual(times);
  });
});
