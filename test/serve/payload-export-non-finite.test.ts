/**
 * Non-finite floats in the payload export and the CloudEvents sink agree with the answer: a real
 * onnxruntime model `y = x / 0` (FP32) through a real monitored server answers NaN and ±Infinity
 * as the strings "NaN", "Infinity" and "-Infinity"; the export as JSON Lines writes the same
 * strings (it wrote null, JSON.stringify's rule), and as CSV NaN, Infinity and -Infinity; the
 * sink's event, POSTed to a real loopback receiver, the same strings (it wrote null too).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { floatTensor, node, onnxModel, tensorValueInfo } from '../../src/core/onnx-model-builder.js';
import { OnnxElementType, encodeOnnxModel } from '../../src/core/onnx-proto.js';
import { tempDir } from '../helpers/models.js';
import { eventually, postJson, startRegistryServer } from '../helpers/server.js';
import { type SinkReceiver, startSinkReceiver } from '../helpers/sink-receiver.js';

let server: Awaited<ReturnType<typeof startRegistryServer>>;
let lake: SinkReceiver;

/** `y = x / 0` on FP32 [batch, 1]: 1 → Infinity, -1 → -Infinity, 0 → NaN, as IEEE 754 divides. */
function writeDivideByZeroModel(dir: string): string {
  const path = join(dir, 'divide_by_zero.onnx');
  const model = onnxModel({
    nodes: [node('Div', ['x', 'zero'], ['y'])],
    inputs: [tensorValueInfo('x', OnnxElementType.FLOAT, ['batch', 1])],
    outputs: [tensorValueInfo('y', OnnxElementType.FLOAT, ['batch', 1])],
    initializers: [floatTensor('zero', [1], [0])],
  });
  writeFileSync(path, encodeOnnxModel(model));
  return path;
}

beforeAll(async () => {
  lake = await startSinkReceiver();
  const sink = { url: lake.url, flushMs: 100, attempts: 2 };
  server = await startRegistryServer(tempDir(), { monitor: { sampleRate: 0, flushIntervalMs: 200, segmentSealMs: 1000, payloads: { rate: 1, sink } } });
  await server.registry.register(writeDivideByZeroModel(tempDir()), { name: 'ratio', aliases: ['production'] });
  await eventually(async () => (await fetch(`${server.url}/v2/models/ratio/ready`)).status === 200, 30_000);
}, 60_000);

afterAll(async () => {
  await server?.close();
  lake?.close();
});

describe('non-finite floats in the answer, the payload export and the CloudEvents sink', () => {
  it('are the strings "NaN", "Infinity" and "-Infinity" in all three', async () => {
    const answer = await postJson(`${server.url}/v2/models/ratio/infer`, { inputs: [{ name: 'x', datatype: 'FP32', shape: [4, 1], data: [1, -1, 0, 2] }] });
    expect(answer.status).toBe(200);
    const answered = (answer.json as { outputs: { name: string; data: unknown[] }[] }).outputs[0]!.data;
    expect(answered).toEqual(['Infinity', '-Infinity', 'NaN', 'Infinity']);

    const exportOf = async (format: string) => (await fetch(`${server.url}/api/models/ratio/payloads?format=${format}`)).text();
    expect(await eventually(async () => (await exportOf('jsonl')).trim().split('\n').filter(Boolean).length === 4, 15_000)).toBe(true);
    const lines = (await exportOf('jsonl')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const column = Object.keys(lines[0]!).find((name) => name.startsWith('prediction_'))!;
    expect(lines.map((line) => line[column])).toEqual(answered);

    const rows = parse(await exportOf('csv'), { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => row[column])).toEqual(answered);

    // The sink's event for the request carries the answer's strings (before: null x4).
    const requestId = answer.headers.get('x-request-id')!;
    expect(await eventually(() => lake.posts.some((post) => post.text.includes(requestId)), 15_000)).toBe(true);
    const events = JSON.parse(lake.posts.find((post) => post.text.includes(requestId))!.text) as { id: string; data: { outputs: Record<string, unknown[]>; inputs: Record<string, unknown[]> } }[];
    const event = events.find((e) => e.id === requestId)!;
    // Columns by feature name: x[0] in, y[0] out (the answer's y is [4, 1]).
    expect(event.data.outputs).toEqual({ 'y[0]': answered });
    expect(event.data.inputs).toEqual({ 'x[0]': [1, -1, 0, 2] });
  });
});
