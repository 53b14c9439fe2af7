/**
 * Large bodies decoded and encoded in the body codec workers answer exactly as bodies decoded on
 * the event loop: the same requests, good and bad, go to a server that keeps every body inline and
 * to one that sends every body to a worker, and the answers must be the same byte for byte.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry } from '../../dist/registry/index.js';
import type { RunningServer } from '../../dist/serve/server.js';
import { tempDir, writeIdentityModel, writeShiftModel, writeTwoInOutModel, writeWidenModel } from '../helpers/models.js';
import { eventually, startRegistryServer, startTestServer } from '../helpers/server.js';

let inline: RunningServer;
let offThread: RunningServer;

beforeAll(async () => {
  const dir = tempDir();
  const models = [
    ...['FP32', 'INT64', 'UINT64', 'FP16', 'BOOL', 'BYTES', 'INT8'].map((datatype) => ({ name: `id_${datatype.toLowerCase()}`, path: writeIdentityModel(dir, datatype) })),
    { name: 'pair', path: writeTwoInOutModel(dir) },
    { name: 'widen', path: writeWidenModel(dir, 512) },
  ];
  // 0: every body stays on the event loop; 1: every body of a byte or more goes to a worker.
  [inline, offThread] = await Promise.all([
    startTestServer(models, { server: { offThreadBodyBytes: 0 } }),
    startTestServer(models, { server: { offThreadBodyBytes: 1 } }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([inline?.close(), offThread?.close()]);
});

/** A tensor request's JSON, as text (so that 64-bit integers keep their digits). */
function tensor(name: string, datatype: string, shape: unknown, data: string): string {
  return `{"name":"${name}","datatype":"${datatype}","shape":${JSON.stringify(shape)},"data":${data}}`;
}

const x3 = (datatype: string, data: string, shape: unknown = [2, 3]) => `{"inputs":[${tensor('x', datatype, shape, data)}]}`;

const CASES: readonly (readonly [string, string, string])[] = [
  ['fp32', '/v2/models/id_fp32/infer', x3('FP32', '[[1,2,3],[4.5,-5,6e-3]]')],
  ['fp32 flat, with id and outputs', '/v2/models/id_fp32/infer', `{"id":"r-1","inputs":[${tensor('x', 'FP32', [2, 3], '[1,2,3,4,5,6]')}],"outputs":[{"name":"y"}]}`],
  ['int64 beyond 2^53', '/v2/models/id_int64/infer', x3('INT64', '[9007199254740993,-9223372036854775808,1,2,3,4]')],
  ['uint64 max', '/v2/models/id_uint64/infer', x3('UINT64', '[18446744073709551615,0,1,2,3,4]')],
  ['fp16', '/v2/models/id_fp16/infer', x3('FP16', '[0.5,1,65504,-2,"NaN","Infinity"]')],
  ['bool', '/v2/models/id_bool/infer', x3('BOOL', '[true,false,true,false,false,true]')],
  ['bytes', '/v2/models/id_bytes/infer', x3('BYTES', '["a","é","","x y","z","🙂"]')],
  ['two inputs', '/v2/models/pair/infer', `{"inputs":[${tensor('a', 'FP32', [1, 2], '[1,2]')},${tensor('b', 'FP32', [1, 2], '[3,4]')}]}`],
  ['a large answer', '/v2/models/widen/infer', x3('FP32', '[1,2,3,4]', [4, 1])],
  ['binary output asked for', '/v2/models/id_fp32/infer', `{"inputs":[${tensor('x', 'FP32', [1, 3], '[1,2,3]')}],"parameters":{"binary_data_output":true}}`],
  ['not JSON', '/v2/models/id_fp32/infer', '{"inputs": ['],
  ['not an object', '/v2/models/id_fp32/infer', '[1,2,3]'],
  ['no inputs', '/v2/models/id_fp32/infer', '{"inputs":{}}'],
  ['unknown model first', '/v2/models/nope/infer', '{"inputs": ['],
  ['wrong datatype', '/v2/models/id_fp32/infer', x3('INT32', '[1,2,3,4,5,6]')],
  ['not a datatype', '/v2/models/id_fp32/infer', x3('FLOAT', '[1,2,3,4,5,6]')],
  ['wrong shape', '/v2/models/id_fp32/infer', x3('FP32', '[1,2,3,4]', [2, 2])],
  ['data not the shape', '/v2/models/id_fp32/infer', x3('FP32', '[1,2,3]')],
  ['a string in FP32', '/v2/models/id_fp32/infer', x3('FP32', '[1,2,"three",4,5,6]')],
  ['int8 out of range', '/v2/models/id_int8/infer', x3('INT8', '[1,2,300,4,5,6]')],
  ['a huge dimension', '/v2/models/id_fp32/infer', `{"inputs":[{"name":"x","datatype":"FP32","shape":[9007199254740993,3],"data":[1]}]}`],
  ['unknown input', '/v2/models/id_fp32/infer', `{"inputs":[${tensor('x', 'FP32', [1, 3], '[1,2,3]')},${tensor('z', 'FP32', [1, 3], '[1,2,3]')}]}`],
  ['missing input', '/v2/models/pair/infer', `{"inputs":[${tensor('a', 'FP32', [1, 2], '[1,2]')}]}`],
  ['unknown output', '/v2/models/id_fp32/infer', `{"inputs":[${tensor('x', 'FP32', [1, 3], '[1,2,3]')}],"outputs":[{"name":"nope"}]}`],
  ['v1 instances', '/v1/models/id_fp32:predict', '{"instances":[[1,2,3],[4,5,6]]}'],
  ['v1 int64', '/v1/models/id_int64:predict', '{"instances":[[9007199254740993,2,3]]}'],
  ['v1 objects', '/v1/models/pair:predict', '{"instances":[{"a":[1,2],"b":[3,4]},{"a":[5,6],"b":[7,8]}]}'],
  ['v1 an input missing', '/v1/models/pair:predict', '{"instances":[{"a":[1,2]}]}'],
  ['v1 no instances', '/v1/models/id_fp32:predict', '{"instances":[]}'],
  ['v1 not JSON', '/v1/models/id_fp32:predict', '{"instances":'],
  ['v1 bad values', '/v1/models/id_fp32:predict', '{"instances":[[1,"a",3]]}'],
];

async function send(server: RunningServer, path: string, body: string): Promise<{ status: number; contentType: string | null; body: string }> {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const bytes = Buffer.from(await response.arrayBuffer());
  // Binary answers are compared as bytes; request ids differ from server to server.
  const text = response.headers.get('content-type')?.startsWith('application/json') ? bytes.toString('utf8').replace(/"requestId":"[^"]*"|request [0-9a-f-]{36}/g, '') : bytes.toString('base64');
  return { status: response.status, contentType: response.headers.get('content-type'), body: text };
}

describe('bodies decoded in worker threads', () => {
  it.each(CASES)('answer as inline ones: %s', async (_name, path, body) => {
    const [expected, actual] = await Promise.all([send(inline, path, body), send(offThread, path, body)]);
    expect(actual).toEqual(expected);
  });

  it('decodes a body of several megabytes', async () => {
    const rows = 200_000;
    const values = Array.from({ length: rows * 3 }, (_, i) => (i % 1000) / 8);
    const body = x3('FP32', JSON.stringify(values), [rows, 3]);
    expect(body.length).toBeGreaterThan(3_000_000);
    const [expected, actual] = await Promise.all([send(inline, '/v2/models/id_fp32/infer', body), send(offThread, '/v2/models/id_fp32/infer', body)]);
    expect(actual.status).toBe(200);
    // Compared whole, but reported briefly: the answers are megabytes long.
    expect({ ...actual, body: actual.body.length }).toEqual({ ...expected, body: expected.body.length });
    expect(actual.body === expected.body).toBe(true);
    const answer = JSON.parse(actual.body) as { outputs: { data: number[] }[] };
    expect(answer.outputs[0]!.data).toEqual(values);
  });
});

describe('a deployment that routes by a request parameter', () => {
  it('routes a body decoded in a worker by that parameter, as an inline one', async () => {
    const home = tempDir();
    const dir = tempDir();
    const admin = await openRegistry({ home, actor: { interface: 'cli' } });
    await admin.register(writeShiftModel(dir, 1), { name: 'shift', aliases: ['production'] });
    await admin.register(writeShiftModel(dir, 2), { name: 'shift' });
    await admin.setDeployment('shift', { variants: [{ version: 1, weight: 50 }, { version: 2, weight: 50 }], sticky: { kind: 'feature', name: 'user' } });
    // Two replicas of one registry: one keeps bodies inline, one decodes every body in a worker.
    const servers = await Promise.all([startRegistryServer(home, { server: { offThreadBodyBytes: 0 } }), startRegistryServer(home, { server: { offThreadBodyBytes: 1 } })]);
    try {
      const versionOf = async (server: RunningServer, user: string) => {
        const response = await fetch(`${server.url}/v2/models/shift/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ parameters: { user }, inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [0, 0, 0] }] }),
        });
        expect(response.status).toBe(200);
        return response.headers.get('x-berth-model-version');
      };
      // Both replicas have followed the deployment: some users meet version 2.
      for (const server of servers) {
        expect(await eventually(async () => (await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((u) => versionOf(server, u)))).includes('2'))).toBe(true);
      }
      const seen = new Set<string | null | undefined>();
      for (let i = 0; i < 40; i++) {
        const [inline, worker] = await Promise.all(servers.map((server) => versionOf(server, `user-${i}`)));
        expect(worker, `user-${i}`).toBe(inline);
        seen.add(worker);
      }
      expect([...seen].sort()).toEqual(['1', '2']);
    } finally {
      await Promise.all(servers.map((server) => server.close()));
      await admin.close();
    }
  }, 60_000);
});
