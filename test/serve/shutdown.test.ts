/**
 * Lifecycle under load: inference never blocks the event loop, and SIGTERM drains: readiness
 * turns false first, requests keep being served through the drain delay, and requests in flight
 * when the listener closes finish before the process exits 0.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { type Socket, connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { binaryRequest } from '../helpers/binary-tensors.js';
import { startBerthServe } from '../helpers/cli.js';
import { tempDir, writeHeavyModel, writeIdentityModel } from '../helpers/models.js';

const dir = tempDir();
const heavy = writeHeavyModel(dir, 1024);
const identity = writeIdentityModel(dir, 'FP32');
const REPOSITORY = new URL('../..', import.meta.url).pathname;

/** Ids of the processes serving a model from `folder` (found in /proc, so a test can end what it started). */
function serversIn(folder: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (command.includes('serve') && command.includes(folder) && command.includes('node')) pids.push(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return pids;
}

/** Rows of a held request: 1 MiB of FP32 in a [rows, 3] tensor. */
const ROWS = Math.floor((1024 * 1024) / 12);

/**
 * An inference request on its own connection whose body is sent in two halves: the second only
 * when `sendRest` is called, so the request stays in flight exactly as long as a test needs.
 */
function heldRequest(port: number): { sendRest(): void; answer: Promise<{ status: number; bytes: number }> } {
  const data = Buffer.from(new Float32Array(ROWS * 3).fill(0.5).buffer);
  const { body, headerLength } = binaryRequest([{ name: 'x', datatype: 'FP32', shape: [ROWS, 3], bytes: data }], { parameters: { binary_data_output: true } });
  const request = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/v2/models/ident/infer',
    agent: false,
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength), 'content-length': String(body.length) },
  });
  const answer = new Promise<{ status: number; bytes: number }>((resolve, reject) => {
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => {
        const all = Buffer.concat(chunks);
        const outputHeader = Number(response.headers['inference-header-content-length']);
        resolve({ status: response.statusCode ?? 0, bytes: all.length - outputHeader });
      });
      response.on('error', reject);
    });
  });
  const half = Math.floor(body.length / 2);
  request.write(body.subarray(0, half));
  return { sendRest: () => request.end(body.subarray(half)), answer };
}

/**
 * A raw keep-alive connection: `send` writes one small inference request and resolves with its
 * answer's status and Connection header, or with the error that ended the connection first.
 */
async function keepAliveConnection(port: number): Promise<{ send(): Promise<{ status: number; connection: string } | { error: string }>; closed: Promise<void>; socket: Socket }> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let buffered = Buffer.alloc(0);
  let waiting: ((answer: { status: number; connection: string } | { error: string }) => void) | undefined;
  const settle = (answer: { status: number; connection: string } | { error: string }) => {
    const done = waiting;
    waiting = undefined;
    done?.(answer);
  };
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = buffered.subarray(0, end).toString('latin1');
    const length = Number(/^content-length: *(\d+)/im.exec(head)?.[1] ?? 0);
    if (buffered.length < end + 4 + length) return;
    buffered = buffered.subarray(end + 4 + length);
    settle({ status: Number(head.split(' ')[1]), connection: /^connection: *(.*)$/im.exec(head)?.[1]?.trim() ?? '' });
  });
  socket.on('error', (error: NodeJS.ErrnoException) => settle({ error: error.code ?? error.message }));
  socket.on('close', () => settle({ error: 'closed by the server' }));
  const body = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] });
  const request = `POST /v2/models/ident/infer HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  return {
    socket,
    closed,
    send: () =>
      new Promise((resolve) => {
        waiting = resolve;
        socket.write(request);
      }),
  };
}

function heavyRequest(url: string, rows: number): Promise<number> {
  // 0.5 everywhere: normal floats (a byte pattern like 0x01010101 is denormal and very slow).
  const data = Buffer.from(new Float32Array(rows * 1024).fill(0.5).buffer);
  const { body, headerLength } = binaryRequest([{ name: 'x', datatype: 'FP32', shape: [rows, 1024], bytes: data }], {
    parameters: { binary_data_output: true },
  });
  return fetch(`${url}/v2/models/heavy/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength) },
    body,
  }).then(async (r) => {
    await r.arrayBuffer();
    return r.status;
  });
}

async function inFlight(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^berth_requests_in_flight (-?\d+)/m.exec(text)![1]);
}

/** Polls `condition` every 5 ms for up to 10 s; whether it came true. */
async function waitFor(condition: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 2000; i++) {
    if (await condition()) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return false;
}

describe('lifecycle under load', () => {
  it('answers /v2/health/live while a heavy inference is running', async () => {
    const served = await startBerthServe([`heavy=${heavy}`, '--port', '0', '--workers', '1']);
    try {
      let heavyDone = false;
      const pending = heavyRequest(served.url, 3000).then((status) => {
        heavyDone = true;
        return status;
      });
      expect(await waitFor(async () => (await inFlight(served.url)) >= 1)).toBe(true);
      // The metrics scrape above and this liveness check were both answered while the model
      // was still running: the event loop is free during inference.
      const live = await fetch(`${served.url}/v2/health/live`);
      expect(live.status).toBe(200);
      expect(heavyDone).toBe(false);
      expect(await pending).toBe(200);
    } finally {
      served.child.kill('SIGKILL');
    }
  });

  it('SIGTERM: readiness first, serving through the drain delay, then 64 requests in flight finish and it exits 0', async () => {
    // A drain delay far longer than the test, cut short by a second signal: every step waits for
    // what it needs to see, never for time to pass, so a loaded machine cannot make it flaky.
    const served = await startBerthServe([`ident=${identity}`, '--port', '0', '--workers', '1', '--drain-delay-ms', '600000']);
    const { port } = new URL(served.url);
    // 64 connections, each with a 1 MB request whose body is half sent: in flight until released.
    const held = Array.from({ length: 64 }, () => heldRequest(Number(port)));
    expect(await waitFor(async () => (await inFlight(served.url)) >= 64)).toBe(true);

    served.child.kill('SIGTERM');
    // Readiness turns false at once, while the server still serves...
    expect(await waitFor(async () => (await fetch(`${served.url}/v2/health/ready`)).status === 503)).toBe(true);
    const ready = (await (await fetch(`${served.url}/v2/health/ready`)).json()) as { ready: boolean; code: string };
    expect(ready).toMatchObject({ ready: false, code: 'BERTH_SERVER_SHUTTING_DOWN' });
    // ...so a request sent before the load balancer noticed is answered, and told to reconnect elsewhere.
    const late = await fetch(`${served.url}/v2/models/ident/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] }),
    });
    expect(late.status).toBe(200);
    expect(late.headers.get('connection')).toBe('close');
    expect((await fetch(`${served.url}/v2/health/live`)).status).toBe(200);

    // A second signal ends the delay: the listener closes while the 64 requests are still held.
    served.child.kill('SIGTERM');
    expect(await waitFor(async () => (await fetch(`${served.url}/v2/health/live`).then(() => 'open', () => 'refused')) === 'refused')).toBe(true);
    for (const request of held) request.sendRest();
    const answers = await Promise.all(held.map((r) => r.answer));
    expect(answers.map((a) => a.status)).toEqual(Array(64).fill(200));
    expect(answers.every((a) => a.bytes === ROWS * 3 * 4)).toBe(true);
    expect(await served.exited).toBe(0);
  });

  it('SIGTERM: a keep-alive connection idle when the port closes still answers the request its client sends next', async () => {
    // An idle grace longer than the test: the server may not close these connections before
    // their clients' next requests, however slow the machine.
    const served = await startBerthServe([`ident=${identity}`, '--port', '0', '--workers', '1', '--drain-idle-ms', '600000']);
    const port = Number(new URL(served.url).port);
    const connections = await Promise.all(Array.from({ length: 64 }, () => keepAliveConnection(port)));
    for (const answer of await Promise.all(connections.map((c) => c.send()))) expect(answer).toEqual({ status: 200, connection: 'keep-alive' });

    served.child.kill('SIGTERM');
    expect(await waitFor(async () => (await fetch(`${served.url}/v2/health/live`).then(() => 'open', () => 'refused')) === 'refused')).toBe(true);
    // The port is closed; each client now sends its next request on the connection it holds.
    const answers = await Promise.all(connections.map((c) => c.send()));
    expect(answers).toEqual(Array(64).fill({ status: 200, connection: 'close' }));
    await Promise.all(connections.map((c) => c.closed));
    expect(await served.exited).toBe(0);
  });

  it('SIGTERM: a keep-alive connection that stays idle is closed after the idle grace, and the server exits', async () => {
    const served = await startBerthServe([`ident=${identity}`, '--port', '0', '--workers', '1', '--drain-idle-ms', '200']);
    const connection = await keepAliveConnection(Number(new URL(served.url).port));
    expect(await connection.send()).toEqual({ status: 200, connection: 'keep-alive' });
    served.child.kill('SIGTERM');
    await connection.closed;
    expect(await served.exited).toBe(0);
  });

  it.skipIf(process.platform !== 'linux')('stops when started through npx and npx gets SIGTERM, which npm does not pass on', async () => {
    // A project that depends on this Berth, as a user's would.
    const project = tempDir();
    mkdirSync(join(project, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(REPOSITORY, join(project, 'node_modules', 'berth'));
    symlinkSync('../berth/dist/cli/main.js', join(project, 'node_modules', '.bin', 'berth'));
    writeFileSync(join(project, 'package.json'), '{"name":"user-project","private":true,"dependencies":{"berth":"*"}}');
    const model = join(project, 'ident.onnx');
    copyFileSync(identity, model);
    const npx = spawn('npx', ['--no-install', 'berth', 'serve', model, '--port', '0'], { cwd: project, env: { ...process.env, npm_config_update_notifier: 'false' } });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        npx.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const match = /at (http:\/\/\S+)/.exec(out);
          if (match) resolve(match[1]!);
        });
        npx.on('close', (code) => reject(new Error(`npx exited (${code}) before the server listened`)));
      });
      expect((await fetch(`${url}/v2/health/live`)).status).toBe(200);
      npx.kill('SIGTERM');
      expect(await waitFor(async () => (await fetch(`${url}/v2/health/live`).then(() => 'open', () => 'refused')) === 'refused')).toBe(true);
      expect(await waitFor(async () => serversIn(project).length === 0)).toBe(true);
    } finally {
      npx.kill('SIGKILL');
      for (const pid of serversIn(project)) process.kill(pid, 'SIGKILL');
    }
  });
});
