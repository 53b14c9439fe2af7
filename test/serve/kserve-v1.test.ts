/** KServe V1 prediction protocol beside OIP, plus the metadata and metrics endpoints. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../dist/serve/server.js';
import { tempDir, writeIdentityModel, writeTwoInOutModel } from '../helpers/models.js';
import { postJson, startTestServer } from '../helpers/server.js';

let server: RunningServer;
beforeAll(async () => {
  const dir = tempDir();
  server = await startTestServer([
    { name: 'pair', path: writeTwoInOutModel(dir) },
    { name: 'ident', path: writeIdentityModel(dir, 'FP32') },
    { name: 'big', path: writeIdentityModel(dir, 'INT64') },
  ]);
});
afterAll(async () => {
  await server?.close();
});

describe('KServe V1', () => {
  it('lists and describes models', async () => {
    expect(await (await fetch(`${server.url}/v1/models`)).json()).toEqual({ models: ['pair', 'ident', 'big'] });
    expect(await (await fetch(`${server.url}/v1/models/pair`)).json()).toEqual({ name: 'pair', version: '1', ready: true });
  });

  it('predicts one row per instance for a single-input model', async () => {
    const { status, json } = await postJson(`${server.url}/v1/models/ident:predict`, { instances: [[1, 2, 3], [4.5, -5, 6]] });
    expect(status).toBe(200);
    expect(json).toEqual({ predictions: [[1, 2, 3], [4.5, -5, 6]] });
  });

  it('takes instances keyed by input name and answers keyed by output name', async () => {
    const { status, json } = await postJson(`${server.url}/v1/models/pair:predict`, {
      instances: [
        { a: [1, 2], b: [3, 4] },
        { a: [0.5, 0.5], b: [2, -2] },
      ],
    });
    expect(status).toBe(200);
    expect(json).toEqual({
      predictions: [
        { sum: [4, 6], product: [3, 8] },
        { sum: [2.5, -1.5], product: [1, -1] },
      ],
    });
  });

  it('keeps 64-bit integers exact', async () => {
    const { status, text } = await postJson(`${server.url}/v1/models/big:predict`, '{"instances":[[9223372036854775807,1,-9223372036854775808]]}');
    expect(status).toBe(200);
    expect(text).toBe('{"predictions":[[9223372036854775807,1,-9223372036854775808]]}');
  });

  it.each([
    ['no instances', {}, 'BERTH_REQUEST_INVALID', '"instances"'],
    ['empty instances', { instances: [] }, 'BERTH_REQUEST_INVALID', 'at least one instance'],
    ['ragged instances', { instances: [[1, 2, 3], [1, 2]] }, 'BERTH_INPUT_DATA_LENGTH', "Input 'x'"],
    ['a wrong row width', { instances: [[1, 2]] }, 'BERTH_INPUT_SHAPE', 'does not fit'],
    ['a string value', { instances: [[1, 'x', 3]] }, 'BERTH_INPUT_VALUE', 'not a FP32 number'],
  ])('400 for %s', async (_case, body, code, message) => {
    const { status, json } = await postJson(`${server.url}/v1/models/ident:predict`, body);
    expect(status).toBe(400);
    expect(json.code).toBe(code);
    expect(json.error).toContain(message);
  });

  it('400 naming the missing input of a multi-input model', async () => {
    const { status, json } = await postJson(`${server.url}/v1/models/pair:predict`, { instances: [{ a: [1, 2] }] });
    expect(status).toBe(400);
    expect(json.code).toBe('BERTH_INPUT_MISSING');
    expect(json.error).toContain("Input 'b' of model 'pair' is missing");
  });

  it('404 for other verbs', async () => {
    const { status } = await postJson(`${server.url}/v1/models/ident:explain`, { instances: [[1, 2, 3]] });
    expect(status).toBe(404);
  });
});

describe('server metadata, readiness and metrics', () => {
  it('GET /v2 names the server and its extensions', async () => {
    expect(await (await fetch(`${server.url}/v2`)).json()).toEqual({ name: 'berth', version: 'test', extensions: ['binary_tensor_data'] });
  });

  it('health and model readiness', async () => {
    expect(await (await fetch(`${server.url}/v2/health/ready`)).json()).toEqual({ ready: true });
    expect(await (await fetch(`${server.url}/v2/models/pair/ready`)).json()).toEqual({ name: 'pair', version: '1', ready: true });
    expect(await (await fetch(`${server.url}/v2/models/pair/versions/1/ready`)).json()).toEqual({ name: 'pair', version: '1', ready: true });
  });

  it('selects outputs and echoes the id', async () => {
    const { json } = await postJson(`${server.url}/v2/models/pair/versions/1/infer`, {
      id: 'req-7',
      parameters: { anything: 1 },
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [1, 2], data: [2, 3] },
        { name: 'b', datatype: 'FP32', shape: [1, 2], data: [4, 5] },
      ],
      outputs: [{ name: 'product' }],
    });
    expect(json).toEqual({ model_name: 'pair', model_version: '1', id: 'req-7', outputs: [{ name: 'product', datatype: 'FP32', shape: [1, 2], data: [8, 15] }] });
  });

  it('counts requests by model, version, protocol and outcome in /metrics', async () => {
    await postJson(`${server.url}/v1/models/ident:predict`, { instances: [[1, 2, 3]] });
    await postJson(`${server.url}/v1/models/ident:predict`, { instances: [[1, 2]] });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/berth_requests_total\{model="ident",version="1",protocol="v1-rest",outcome="success"\} [1-9]/);
    expect(text).toMatch(/berth_requests_total\{model="ident",version="1",protocol="v1-rest",outcome="client_error"\} [1-9]/);
    expect(text).toMatch(/berth_request_duration_seconds_bucket\{le="[^"]+",model="ident",version="1",protocol="v1-rest"\}/);
    expect(text).toContain('berth_requests_in_flight');
    expect(text).toMatch(/berth_model_load_seconds\{model="pair",version="1"\} \d/);
    expect(text).toContain('berth_process_resident_memory_bytes');
  });
});
