/**
 * Large bodies cross the event loop in small steps: a request body that declares its length is
 * filled in place as it arrives, an answer larger than a slice reaches the socket a slice per
 * write, and a response's tensors reach the encoding worker through shared memory.
 */
import { createHash } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { plainResponse, runBodyCodecTask } from '../../dist/serve/http/body-codec-tasks.js';
import { REPLY_CHUNK_BYTES, sendBody } from '../../dist/serve/http/chunked-reply.js';
import { acceptRawBodies, rawBody } from '../../dist/serve/http/raw-body.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function rawBodyServer(bodyLimit: number): Promise<string> {
  app = Fastify({ bodyLimit });
  void app.register(async (scope) => {
    acceptRawBodies(scope);
    scope.post('/echo', async (request) => {
      const body = rawBody(request, ['application/json']);
      return { bytes: body.length, sha: sha(body), ownsMemory: body.byteOffset === 0 && body.byteLength === body.buffer.byteLength };
    });
  });
  return app.listen({ port: 0, host: '127.0.0.1' });
}

/** A body sent as a stream of chunks, without a Content-Length. */
function streamed(bytes: Buffer, chunk = 65_536): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, (at += chunk)));
    },
  });
}

describe('request bodies', () => {
  const body = Buffer.alloc(3_000_001, 'x');

  it('arrive whole in a Buffer of their own, with or without a Content-Length', async () => {
    const url = await rawBodyServer(10_000_000);
    const declared = await (await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json();
    expect(declared).toEqual({ bytes: body.length, sha: sha(body), ownsMemory: true });
    const chunked = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: streamed(body), duplex: 'half' } as RequestInit);
    expect(await chunked.json()).toEqual({ bytes: body.length, sha: sha(body), ownsMemory: true });
  });

  it('over the limit are refused, whether declared or streamed', async () => {
    const url = await rawBodyServer(1_000_000);
    const declared = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(declared.status).toBe(413);
    const chunked = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: streamed(body), duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
  });
});

describe('answers larger than a slice', () => {
  it('reach the socket a slice per write, whole and with their length', async () => {
    const answer = Buffer.alloc(5 * REPLY_CHUNK_BYTES + 17);
    for (let i = 0; i < answer.length; i++) answer[i] = i % 251;
    const writes: number[] = [];
    app = Fastify();
    app.get('/big', async (request, reply) => {
      // Every byte the answer puts on the connection, by call.
      const socket = request.raw.socket;
      const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
      socket.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        writes.push(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength);
        return write(chunk, ...rest);
      }) as typeof socket.write;
      return sendBody(reply, 'application/octet-stream', answer);
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const response = await fetch(`${url}/big`);
    const received = Buffer.from(await response.arrayBuffer());
    expect(response.headers.get('content-length')).toBe(String(answer.length));
    expect(received.equals(answer)).toBe(true);
    expect(Math.max(...writes)).toBeLessThanOrEqual(REPLY_CHUNK_BYTES + 1024);
    expect(writes.filter((bytes) => bytes > 1024).length).toBeGreaterThanOrEqual(5);
  });
});

describe('tensors encoded in a worker', () => {
  it('go there in shared memory, leaving the response as it was, and encode as inline', () => {
    const data = Float32Array.from({ length: 1000 }, (_, i) => i / 7);
    const response = { modelName: 'm', modelVersion: '1', outputs: [{ name: 'y', datatype: 'FP32' as const, shape: [250, 4], data }] };
    const plain = plainResponse(response);
    const shared = plain.outputs[0]!.data as Float32Array;
    expect(shared.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(shared)).toEqual(Array.from(data));
    expect(response.outputs[0]!.data).toBe(data);
    const bodyOf = (result: ReturnType<typeof runBodyCodecTask>) => Buffer.from((result as { ok: true; value: { body: Uint8Array } }).value.body).toString();
    const viaShared = runBodyCodecTask({ kind: 'oip-response', response: plain, request: {} });
    const viaCopy = runBodyCodecTask({ kind: 'oip-response', response: { ...response, outputs: [{ ...response.outputs[0]!, data: data.slice() }] }, request: {} });
    expect(viaShared.ok && viaCopy.ok).toBe(true);
    expect(bodyOf(viaShared)).toBe(bodyOf(viaCopy));
  });
});
