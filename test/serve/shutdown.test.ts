/**
 * Lifecycle under load: inference never blocks the event loop, and SIGTERM lets requests in
 * flight finish before the process exits 0.
 */
import { describe, expect, it } from 'vitest';
import { binaryRequest } from '../helpers/binary-tensors.js';
import { startBerthServe } from '../helpers/cli.js';
import { tempDir, writeHeavyModel } from '../helpers/models.js';

const dir = tempDir();
const heavy = writeHeavyModel(dir, 1024);

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
  // The scrape itself is one request in flight.
  return Number(/^berth_requests_in_flight (\d+)/m.exec(text)![1]) - 1;
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

  it('SIGTERM finishes requests in flight, refuses new ones, and exits 0', async () => {
    const served = await startBerthServe([`heavy=${heavy}`, '--port', '0', '--workers', '1']);
    // Large enough to be still running when the signal lands, even on a fast machine.
    const requests = Array.from({ length: 4 }, () => heavyRequest(served.url, 2000));
    expect(await waitFor(async () => (await inFlight(served.url)) >= 4)).toBe(true);
    served.child.kill('SIGTERM');
    // The signal is asynchronous: the server says when it has begun shutting down.
    expect(await waitFor(async () => served.output().stderr.includes('shutting down'))).toBe(true);
    const statuses = await Promise.all(requests);
    expect(statuses).toEqual([200, 200, 200, 200]);
    const late = await fetch(`${served.url}/v2/health/live`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect([503, 'refused']).toContain(late);
    expect(await served.exited).toBe(0);
  });
});
