/**
 * Every ONNX backend conformance case served over HTTP, in JSON and in the binary tensor format;
 * outputs must equal the reference implementation's within the suite's tolerance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../dist/serve/server.js';
import { binaryRequest, decodeBinary, encodeBinary, parseBinaryResponse } from '../helpers/binary-tensors.js';
import { firstMismatch, fixtureCases, hasStringNormalizerLocale, LOCALE_NEEDED, needsLocale } from '../helpers/fixtures.js';
import { postJson, startTestServer } from '../helpers/server.js';

const all = fixtureCases();
// Without the locale the StringNormalizer models cannot load, and a server with them cannot start.
const cases = (await hasStringNormalizerLocale()) ? all : all.filter((c) => !needsLocale(c));
const skipped = all.filter((c) => !cases.includes(c));
let server: RunningServer;

beforeAll(async () => {
  server = await startTestServer(cases.map((c) => ({ name: c.name, path: c.model })));
});
afterAll(async () => {
  await server?.close();
});

describe('ONNX backend conformance suite', () => {
  it('has all 137 cases', () => {
    expect(all.length).toBe(137);
  });

  describe.skipIf(skipped.length === 0)(`${skipped.length} StringNormalizer cases (skipped: they need ${LOCALE_NEEDED})`, () => {
    it.skip.each(skipped.map((c) => c.name))('%s', () => undefined);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s over JSON', async (name, c) => {
    const inputs = Object.entries(c.inputs).map(([input, t]) => ({ name: input, ...t }));
    const { status, json } = await postJson(`${server.url}/v2/models/${name}/infer`, { id: name, inputs });
    expect(status, JSON.stringify(json)).toBe(200);
    expect(json.id).toBe(name);
    expect(json.model_name).toBe(name);
    const outputs = json.outputs as { name: string; datatype: string; shape: number[]; data: unknown[] }[];
    for (const [outputName, expected] of Object.entries(c.outputs)) {
      const actual = outputs.find((o) => o.name === outputName);
      expect(actual, `output ${outputName}`).toBeDefined();
      expect(actual!.datatype).toBe(expected.datatype);
      expect(actual!.shape).toEqual(expected.shape);
      expect(firstMismatch(actual!.data, expected.data)).toBeUndefined();
    }
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s over binary tensors', async (name, c) => {
    const { body, headerLength } = binaryRequest(
      Object.entries(c.inputs).map(([input, t]) => ({ name: input, datatype: t.datatype, shape: t.shape, bytes: encodeBinary(t.datatype, t.data) })),
      { parameters: { binary_data_output: true } },
    );
    const response = await fetch(`${server.url}/v2/models/${name}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength) },
      body,
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(response.status, bytes.toString('utf8').slice(0, 500)).toBe(200);
    const responseHeaderLength = Number(response.headers.get('inference-header-content-length'));
    const { header, binaries, trailing } = parseBinaryResponse(bytes, responseHeaderLength);
    expect(trailing).toBe(0);
    for (const [outputName, expected] of Object.entries(c.outputs)) {
      const meta = header.outputs.find((o) => o.name === outputName)!;
      expect(meta.shape).toEqual(expected.shape);
      expect(meta.data).toBeUndefined();
      const values = decodeBinary(expected.datatype, binaries.get(outputName)!).map((v) => (typeof v === 'bigint' ? Number(v) : v));
      expect(firstMismatch(values, expected.data)).toBeUndefined();
    }
  });
});
