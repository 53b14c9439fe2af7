/**
 * `berth_requests_in_flight` is the custom metric `berth k8s` scales replicas on, so it must be
 * the number of inference requests not yet answered: requests refused before a route runs
 * (credentials, Host), scrapes and probes do not move it, a request whose client hangs up
 * mid-body is released, and gRPC inference counts as REST does.
 */
import { connect } from 'node:net';
import { type Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oipGrpcService } from '../../dist/serve/grpc/oip-grpc-proto.js';
import { tempDir, writeHeavyModel, writeIdentityModel } from '../helpers/models.js';
import { eventually, startRegistryServer } from '../helpers/server.js';

const ADMIN = 'in-flight-admin-token';
const auth = { authorization: `Bearer ${ADMIN}` };
let server: Awaited<ReturnType<typeof startRegistryServer>>;
let port: number;

beforeAll(async () => {
  const dir = tempDir();
  server = await startRegistryServer(dir, { server: { adminToken: ADMIN, inferenceAuth: true, grpcPort: 0, mlflowModel: 'ident' } });
  port = Number(new URL(server.url).port);
  await server.registry.register(writeIdentityModel(dir, 'FP32'), { name: 'ident', aliases: ['production'] });
  await server.registry.register(writeHeavyModel(dir), { name: 'heavy', aliases: ['production'] });
  expect(await eventually(async () => (await fetch(`${server.url}/v2/models/heavy/ready`, { headers: auth })).status === 200, 10_000)).toBe(true);
});
afterAll(async () => {
  await server?.close();
});

async function inFlight(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`, { headers: auth })).text();
  return Number(/^berth_requests_in_flight (-?\d+)$/m.exec(text)![1]);
}

const BODY = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] });

describe('berth_requests_in_flight', () => {
  it('is 0 when nothing is in flight: scrapes, probes, refused and answered requests leave it there', async () => {
    expect(await inFlight()).toBe(0);
    const json = { 'content-type': 'application/json' };
    // Refused before any route runs: no credential, a Host that is not this server's.
    for (let i = 0; i < 3; i++) {
      expect((await fetch(`${server.url}/v2/models/ident/infer`, { method: 'POST', headers: json, body: BODY })).status).toBe(401);
      expect((await fetch(`${server.url}/api/models`)).status).toBe(401);
    }
    const evil = await new Promise<number>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(`POST /v2/models/ident/infer HTTP/1.1\r\nhost: evil.example\r\nauthorization: Bearer ${ADMIN}\r\ncontent-type: application/json\r\ncontent-length: ${BODY.length}\r\nconnection: close\r\n\r\n${BODY}`));
      let head = '';
      socket.on('data', (c: Buffer) => (head += c.toString()));
      socket.on('end', () => resolve(Number(head.split(' ')[1])));
      socket.on('error', reject);
    });
    expect(evil).toBe(403);
    // Answered, on every inference route, successes and a client's mistakes alike.
    const answered = [
      await fetch(`${server.url}/v2/models/ident/infer`, { method: 'POST', headers: { ...json, ...auth }, body: BODY }),
      await fetch(`${server.url}/v2/models/ident/versions/1/infer`, { method: 'POST', headers: { ...json, ...auth }, body: BODY }),
      await fetch(`${server.url}/v2/models/ident/infer`, { method: 'POST', headers: { ...json, ...auth }, body: '{"inputs": [' }),
      await fetch(`${server.url}/v1/models/ident:predict`, { method: 'POST', headers: { ...json, ...auth }, body: '{"instances": [[1, 2, 3]]}' }),
      await fetch(`${server.url}/api/models/ident/predict`, { method: 'POST', headers: { ...json, ...auth }, body: '{"rows": [{"x": 1}]}' }),
      await fetch(`${server.url}/invocations`, { method: 'POST', headers: { ...json, ...auth }, body: '{"inputs": [[1, 2, 3]]}' }),
      await fetch(`${server.url}/v2/health/ready`),
    ];
    expect(answered.map((r) => r.status)).toEqual([200, 200, 400, 200, expect.any(Number), expect.any(Number), 200]);
    expect(await inFlight()).toBe(0);
  });

  it('counts a request whose body is still arriving, on every inference route, and releases it when the client hangs up', async () => {
    for (const path of ['/v2/models/ident/infer', '/v2/models/ident/versions/1/infer', '/v1/models/ident:predict', '/api/models/ident/predict', '/invocations']) {
      const socket = connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(`POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${ADMIN}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"inputs": [`);
      expect(await eventually(async () => (await inFlight()) === 1), path).toBe(true);
      socket.destroy();
      expect(await eventually(async () => (await inFlight()) === 0), path).toBe(true);
    }
    // A client that hung up leaves nothing behind: a scrape later still reads 0.
    expect(await inFlight()).toBe(0);
  });

  it('counts gRPC inference while it runs', async () => {
    const Service = oipGrpcService();
    const client = new Service(`127.0.0.1:${server.grpcPort}`, credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 }) as Client & Record<string, (request: unknown, metadata: Metadata, callback: (error: ServiceError | null, response: unknown) => void) => void>;
    try {
      const metadata = new Metadata();
      metadata.set('authorization', `Bearer ${ADMIN}`);
      const rows = 1500;
      // 0.5 everywhere: normal floats run at full speed.
      const raw = Buffer.from(new Float32Array(rows * 1024).fill(0.5).buffer);
      let done = false;
      const call = new Promise<ServiceError | null>((resolve) =>
        client.ModelInfer!({ model_name: 'heavy', inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, 1024] }], raw_input_contents: [raw] }, metadata, (error) => {
          done = true;
          resolve(error);
        }),
      );
      const seen = await eventually(async () => done || (await inFlight()) === 1, 30_000);
      expect(seen).toBe(true);
      expect(done, 'the heavy call finished before a scrape saw it; it must be in flight when counted').toBe(false);
      expect(await call).toBeNull();
      expect(await inFlight()).toBe(0);
    } finally {
      client.close();
    }
  }, 60_000);
});
