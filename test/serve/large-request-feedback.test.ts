/**
 * Feedback sent as soon as a large request's answer arrives, through a real monitored server (a
 * registry, the prediction log) and a real onnxruntime model: the request's rows go into the
 * prediction log a slice per turn of the event loop, and the feedback, which comes while they are
 * still being sliced in, must find them and be joined, never answered `unknown`.
 *
 * The model widens each row to 64 outputs, so a 50,000-row request is 3.2 million values for the
 * prediction log (about 200 turns), and its answer is binary (no JSON to print): the feedback is
 * looked up while most of its rows still wait to go into the log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CELLS_PER_TURN } from '../../dist/monitor/log-segments.js';
import { binaryRequest, parseBinaryResponse } from '../helpers/binary-tensors.js';
import { tempDir, writeWidenModel } from '../helpers/models.js';
import { eventually, postJson, startRegistryServer } from '../helpers/server.js';

const ROWS = 50_000;
const WIDTH = 64;

let server: Awaited<ReturnType<typeof startRegistryServer>>;

beforeAll(async () => {
  server = await startRegistryServer(tempDir(), { monitor: { sampleRate: 0 } });
  await server.registry.register(writeWidenModel(tempDir(), WIDTH), { name: 'wide', aliases: ['production'] });
  await eventually(async () => (await fetch(`${server.url}/v2/models/wide/ready`)).status === 200, 30_000);
}, 60_000);

afterAll(async () => {
  await server?.close();
});

/** Sends a request of `rows` rows; resolves when its answer's headers arrive, with its request id and the answer still to read. */
async function infer(rows: number): Promise<{ requestId: string; response: Response; headerLength: number }> {
  const x = Buffer.from(Float32Array.from({ length: rows }, (_, i) => i % 7).buffer);
  const { body, headerLength } = binaryRequest([{ name: 'x', datatype: 'FP32', shape: [rows, 1], bytes: x }], { parameters: { binary_data_output: true } });
  const response = await fetch(`${server.url}/v2/models/wide/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength) },
    body,
  });
  expect(response.status).toBe(200);
  return { requestId: response.headers.get('x-request-id')!, response, headerLength: Number(response.headers.get('inference-header-content-length')) };
}

describe('feedback for a large request', () => {
  it('sent as soon as its answer arrives, is joined to it while its rows are still going into the prediction log', async () => {
    // Many turns of the event loop' worth of values for the log.
    expect((ROWS * WIDTH) / CELLS_PER_TURN).toBeGreaterThan(100);
    const { requestId, response, headerLength } = await infer(ROWS);
    const actual = Array.from({ length: ROWS }, (_, i) => i % 7);
    const joined = await postJson(`${server.url}/api/models/wide/feedback`, { requestId, actual });
    expect(joined.status).toBe(200);
    expect(joined.json).toEqual({ accepted: 1, unknown: [], rejected: [] });

    // The answer, read after: every row widened.
    const { binaries } = parseBinaryResponse(Buffer.from(await response.arrayBuffer()), headerLength);
    const y = new Float32Array(new Uint8Array(binaries.get('y')!).buffer);
    expect(y.length).toBe(ROWS * WIDTH);
    expect(y[(ROWS - 1) * WIDTH + WIDTH - 1]).toBe((ROWS - 1) % 7);

    // A small request after it is joined as well, and performance counts the large one's rows.
    const small = await infer(2);
    await small.response.arrayBuffer();
    expect((await postJson(`${server.url}/api/models/wide/feedback`, { requestId: small.requestId, actual: [0, 1] })).json).toEqual({ accepted: 1, unknown: [], rejected: [] });
    const performance = (await (await fetch(`${server.url}/api/models/wide/monitor/performance?from=1h`)).json()) as { unmatched: number };
    expect(performance.unmatched).toBe(0);
  }, 60_000);
});
