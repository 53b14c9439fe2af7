/**
 * `npx tsx bench/client-overhead.ts`: what berth/client costs over a hand-written fetch, and what
 * the binary tensor extension saves over JSON, for the same tensors against the same `berth serve`
 * (a child process). Requests go one at a time on one connection; the four ways are interleaved in
 * short slices (raw JSON, client JSON, raw binary, client binary, again and again) so that noise on
 * a shared machine falls on all of them alike. Reported per request: the server's CPU time (from
 * /proc), the client process's CPU time, and the median latency.
 *
 *   npx tsx bench/client-overhead.ts [--rows 1000] [--slices 10] [--slice-ms 1000]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BerthClient, tensor } from '../dist/client/index.js';
import { writeConformanceModels } from '../dist/conformance/index.js';
import { ensureBuild } from './ensure-build.js';
import { startBerth } from './start-berth.js';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '1000' }, slices: { type: 'string', default: '10' }, 'slice-ms': { type: 'string', default: '1000' } } });
const rows = Number(args.rows);
const slices = Number(args.slices);
const sliceMs = Number(args['slice-ms']);

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (Linux). */
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

ensureBuild();
const dir = mkdtempSync(join(tmpdir(), 'berth-client-bench-'));
const models = (await writeConformanceModels(dir)).filter((m) => m.name === 'conformance_fp32' || m.name === 'conformance_int64');
const server = await startBerth('berth', models);
try {
  const client = new BerthClient({ url: server.url });
  const floats = new Float32Array(rows * 3).map((_, i) => (i % 97) / 7);
  const ints = BigInt64Array.from({ length: rows * 3 }, (_, i) => BigInt(i) * 4611686018427387n);
  const x32 = tensor('x', 'FP32', [rows, 3], floats);
  const x64 = tensor('x', 'INT64', [rows, 3], ints);

  // The hand-written baseline: the request text built directly, the answer read with JSON.parse
  // (which loses INT64 digits: the client's exactness is part of what it costs).
  const rawJson = (model: string, data: string) => async () => {
    const body = `{"inputs":[{"name":"x","datatype":"${model === 'conformance_fp32' ? 'FP32' : 'INT64'}","shape":[${rows},3],"data":[${data}]}]}`;
    const response = await fetch(`${server.url}/v2/models/${model}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const answer = (await response.json()) as { outputs: { data: number[] }[] };
    if (answer.outputs[0]!.data.length !== rows * 3) throw new Error('short answer');
  };
  const rawBinary = (model: string, datatype: string, bytes: Uint8Array) => async () => {
    const header = new TextEncoder().encode(JSON.stringify({ inputs: [{ name: 'x', datatype, shape: [rows, 3], parameters: { binary_data_size: bytes.byteLength } }], parameters: { binary_data_output: true } }));
    const body = new Uint8Array(header.byteLength + bytes.byteLength);
    body.set(header);
    body.set(bytes, header.byteLength);
    const response = await fetch(`${server.url}/v2/models/${model}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.byteLength) },
      body,
    });
    const answer = new Uint8Array(await response.arrayBuffer());
    if (answer.byteLength < bytes.byteLength) throw new Error('short answer');
  };
  const floatText = Array.from(floats).join(',');
  const intText = ints.join(',');
  const ways: [string, () => Promise<unknown>][] = [
    ['FP32 JSON, fetch', rawJson('conformance_fp32', floatText)],
    ['FP32 JSON, BerthClient', () => client.infer('conformance_fp32', [x32])],
    ['FP32 binary, fetch', rawBinary('conformance_fp32', 'FP32', new Uint8Array(floats.buffer))],
    ['FP32 binary, BerthClient', () => client.infer('conformance_fp32', [x32], { binary: true })],
    ['INT64 JSON, fetch (digits lost)', rawJson('conformance_int64', intText)],
    ['INT64 JSON, BerthClient (exact)', () => client.infer('conformance_int64', [x64])],
    ['INT64 binary, fetch', rawBinary('conformance_int64', 'INT64', new Uint8Array(ints.buffer))],
    ['INT64 binary, BerthClient', () => client.infer('conformance_int64', [x64], { binary: true })],
  ];
  const totals = ways.map(() => ({ requests: 0, serverCpu: 0, clientCpu: 0, latencies: [] as number[] }));
  for (const [, run] of ways) for (let i = 0; i < 20; i++) await run();
  for (let slice = 0; slice < slices; slice++) {
    for (const [w, [, run]] of ways.entries()) {
      const total = totals[w]!;
      const serverBefore = processCpuSeconds(server.pid);
      const clientBefore = process.cpuUsage();
      const end = performance.now() + sliceMs;
      while (performance.now() < end) {
        const started = performance.now();
        await run();
        total.latencies.push(performance.now() - started);
        total.requests++;
      }
      const clientCpu = process.cpuUsage(clientBefore);
      total.clientCpu += (clientCpu.user + clientCpu.system) / 1e6;
      total.serverCpu += processCpuSeconds(server.pid) - serverBefore;
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(`${rows} rows x 3 per request, ${slices} interleaved slices of ${sliceMs} ms per way, one request at a time\n`);
  console.log('| way | requests | server CPU µs/request | client CPU µs/request | median latency ms |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const [w, [label]] of ways.entries()) {
    const t = totals[w]!;
    console.log(`| ${label} | ${t.requests} | ${((t.serverCpu / t.requests) * 1e6).toFixed(0)} | ${((t.clientCpu / t.requests) * 1e6).toFixed(0)} | ${median(t.latencies).toFixed(2)} |`);
  }
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
