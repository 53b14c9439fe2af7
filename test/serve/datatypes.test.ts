/**
 * Every OIP datatype through a real Identity model, in JSON and binary, with the values at the
 * edges of each type (64-bit extremes must survive JSON exactly).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../dist/serve/server.js';
import { binaryRequest, decodeBinary, encodeBinary, parseBinaryResponse } from '../helpers/binary-tensors.js';
import { ELEMENT_TYPES, tempDir, writeIdentityModel } from '../helpers/models.js';
import { postJson, startTestServer } from '../helpers/server.js';

/** Six values per datatype (shape [2, 3]), as JSON text for the request. */
const SAMPLES: Record<string, string> = {
  BOOL: '[true,false,true,false,false,true]',
  UINT8: '[0,1,127,128,254,255]',
  UINT16: '[0,1,32767,32768,65534,65535]',
  UINT32: '[0,1,2147483647,2147483648,4294967294,4294967295]',
  UINT64: '[0,1,9007199254740993,9223372036854775808,18446744073709551614,18446744073709551615]',
  INT8: '[-128,-1,0,1,126,127]',
  INT16: '[-32768,-1,0,1,32766,32767]',
  INT32: '[-2147483648,-1,0,1,2147483646,2147483647]',
  INT64: '[-9223372036854775808,-9007199254740993,-1,0,9007199254740993,9223372036854775807]',
  FP16: '[0,-2,0.5,1.5,65504,-65504]',
  FP32: '[0,-1.5,3.4028234663852886e+38,1.1754943508222875e-38,"NaN","-Infinity"]',
  FP64: '[0,-1.5,1.7976931348623157e+308,5e-324,"Infinity","NaN"]',
  BYTES: '["","a","héllo","日本語","with \\"quotes\\"","tab\\tnewline\\n"]',
};

/** FP16 bit patterns of the FP16 sample, for the binary request. */
const FP16_BITS = [0x0000, 0xc000, 0x3800, 0x3e00, 0x7bff, 0xfbff];

let server: RunningServer;
beforeAll(async () => {
  const dir = tempDir();
  server = await startTestServer(Object.keys(ELEMENT_TYPES).map((dt) => ({ name: dt.toLowerCase(), path: writeIdentityModel(dir, dt) })));
});
afterAll(async () => {
  await server?.close();
});

function dataOf(text: string): string {
  // The response writes data flat; pull out the array text of output y.
  const match = /"data":(\[.*\])\}\]\}$/.exec(text);
  return match![1]!;
}

describe('datatypes', () => {
  it.each(Object.keys(SAMPLES))('%s round-trips through JSON exactly', async (datatype) => {
    const body = `{"inputs":[{"name":"x","datatype":"${datatype}","shape":[2,3],"data":${SAMPLES[datatype]}}]}`;
    const { status, text } = await postJson(`${server.url}/v2/models/${datatype.toLowerCase()}/infer`, body);
    expect(status, text).toBe(200);
    expect(text).toContain(`"datatype":"${datatype}","shape":[2,3]`);
    expect(dataOf(text)).toBe(SAMPLES[datatype]);
  });

  it.each(Object.keys(SAMPLES).filter((d) => d !== 'FP32' && d !== 'FP64'))('%s round-trips through binary exactly', async (datatype) => {
    const values: (number | string | bigint | boolean)[] =
      datatype === 'FP16'
        ? FP16_BITS
        : (JSON.parse(SAMPLES[datatype]!.replace(/(-?\d{16,})/g, '"$1"')) as (number | string | boolean)[]).map((v) =>
            datatype === 'INT64' || datatype === 'UINT64' ? BigInt(v as string | number) : v,
          );
    const { body, headerLength } = binaryRequest([{ name: 'x', datatype, shape: [2, 3], bytes: encodeBinary(datatype, values) }], {
      outputs: [{ name: 'y', parameters: { binary_data: true } }],
    });
    const response = await fetch(`${server.url}/v2/models/${datatype.toLowerCase()}/infer`, {
      method: 'POST',
      headers: { 'inference-header-content-length': String(headerLength), 'content-type': 'application/octet-stream' },
      body,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    const parsed = parseBinaryResponse(Buffer.from(await response.arrayBuffer()), Number(response.headers.get('inference-header-content-length')));
    expect(parsed.header.outputs[0]!.datatype).toBe(datatype);
    expect(decodeBinary(datatype, parsed.binaries.get('y')!)).toEqual(values);
  });

  it('FP16 JSON values travel as 16-bit patterns in binary', async () => {
    const body = `{"inputs":[{"name":"x","datatype":"FP16","shape":[2,3],"data":${SAMPLES.FP16}}],"parameters":{"binary_data_output":true}}`;
    const response = await fetch(`${server.url}/v2/models/fp16/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const parsed = parseBinaryResponse(Buffer.from(await response.arrayBuffer()), Number(response.headers.get('inference-header-content-length')));
    expect(decodeBinary('FP16', parsed.binaries.get('y')!)).toEqual(FP16_BITS);
  });

  it('accepts 64-bit integers as decimal strings and nested data', async () => {
    const { status, text } = await postJson(`${server.url}/v2/models/int64/infer`, {
      inputs: [{ name: 'x', datatype: 'INT64', shape: [2, 3], data: [['-9223372036854775808', '1', 2], [3, '4', '9223372036854775807']] }],
    });
    expect(status, text).toBe(200);
    expect(dataOf(text)).toBe('[-9223372036854775808,1,2,3,4,9223372036854775807]');
  });

  it.each([
    ['UINT8', '[300,0,0,0,0,0]', 'outside the UINT8 range'],
    ['UINT32', '[-1,0,0,0,0,0]', 'outside the UINT32 range'],
    ['INT8', '[0,0,-129,0,0,0]', 'element 2'],
    ['INT32', '[0,1.5,0,0,0,0]', 'not a INT32 integer'],
    ['INT64', '[0,0,0,9223372036854775808,0,0]', 'outside the INT64 range'],
    ['UINT64', '[0,0,0,0,0,-1]', 'outside the UINT64 range'],
    ['FP32', '[0,"abc",0,0,0,0]', 'is not a FP32 number'],
    ['FP64', '[0,0,null,0,0,0]', 'null is not a FP64 number'],
    ['BOOL', '[1,0,1,0,1,0]', 'is not a BOOL'],
    ['BYTES', '[1,"a","b","c","d","e"]', 'is not a BYTES string'],
  ])('%s refuses %s with a 400 naming the element', async (datatype, data, message) => {
    const body = `{"inputs":[{"name":"x","datatype":"${datatype}","shape":[2,3],"data":${data}}]}`;
    const { status, json } = await postJson(`${server.url}/v2/models/${datatype.toLowerCase()}/infer`, body);
    expect(status).toBe(400);
    expect(json.code).toBe('BERTH_INPUT_VALUE');
    expect(json.error).toContain("Input 'x'");
    expect(json.error).toContain(message);
  });

  it('advertises -1 for dynamic dimensions', async () => {
    const meta = (await (await fetch(`${server.url}/v2/models/fp32`)).json()) as Record<string, unknown>;
    expect(meta).toEqual({
      name: 'fp32',
      versions: ['1'],
      platform: 'onnx_onnxv1',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 3] }],
    });
  });
});
