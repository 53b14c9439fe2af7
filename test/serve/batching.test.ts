/** Batching and back-pressure through the real server: metrics, 503 with Retry-After, processes. */
import { describe, expect, it } from 'vitest';
import { binaryRequest } from '../helpers/binary-tensors.js';
import { startBerthServe } from '../helpers/cli.js';
import { tempDir, writeHeavyModel, writeIdentityModel } from '../helpers/models.js';
import { postJson } from '../helpers/server.js';

const dir = tempDir();
const heavy = writeHeavyModel(dir, 512);
const ident = writeIdentityModel(dir, 'FP32');

function heavyRequest(url: string, rows: number) {
  const { body, headerLength } = binaryRequest([
    { name: 'x', datatype: 'FP32', shape: [rows, 512], bytes: Buffer.from(new Float32Array(rows * 512).fill(0.5).buffer) },
  ]);
  return fetch(`${url}/v2/models/heavy/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength) },
    body,
  });
}

describe('batching through the server', () => {
  it('stacks concurrent requests into larger runs and reports them in /metrics', async () => {
    // In a worker thread, so that requests queue while a run is in progress (on a fast machine this
    // model's single rows are cheap enough for `auto` to run them inline, one by one).
    const served = await startBerthServe([`heavy=${heavy}`, '--port', '0', '--threads', '1', '--max-batch-size', '16', '--execution', 'worker']);
    try {
      const responses = await Promise.all(Array.from({ length: 48 }, () => heavyRequest(served.url, 1)));
      expect(responses.map((r) => r.status)).toEqual(Array.from({ length: 48 }, () => 200));
      const metrics = await (await fetch(`${served.url}/metrics`)).text();
      const count = Number(/^berth_batch_rows_count\{model="heavy",version="1"\} (\d+)/m.exec(metrics)![1]);
      const sum = Number(/^berth_batch_rows_sum\{model="heavy",version="1"\} (\d+)/m.exec(metrics)![1]);
      const upTo16 = Number(/^berth_batch_rows_bucket\{le="16",model="heavy",version="1"\} (\d+)/m.exec(metrics)![1]);
      // Every row ran once, in fewer runs than requests (some were stacked), none above the maximum.
      expect(sum).toBe(48);
      expect(count).toBeLessThan(48);
      expect(upTo16).toBe(count);
      expect(metrics).toMatch(/^berth_queue_wait_seconds_count\{model="heavy",version="1"\} 48$/m);
      expect(metrics).toMatch(/^berth_queue_depth\{model="heavy",version="1"\} 0$/m);
    } finally {
      served.child.kill('SIGKILL');
    }
  });

  it('answers 503 with Retry-After past the queue bound, and keeps serving', async () => {
    const served = await startBerthServe([`heavy=${heavy}`, '--port', '0', '--threads', '1', '--max-queue', '2', '--max-batch-size', '1']);
    try {
      const responses = await Promise.all(Array.from({ length: 12 }, () => heavyRequest(served.url, 400)));
      const refused = responses.filter((r) => r.status === 503);
      expect(refused.length).toBeGreaterThan(0);
      expect(responses.every((r) => r.status === 200 || r.status === 503)).toBe(true);
      expect(refused[0]!.headers.get('retry-after')).toBe('1');
      const body = (await refused[0]!.json()) as { code: string; error: string };
      expect(body.code).toBe('BERTH_QUEUE_FULL');
      expect(body.error).toContain("Model 'heavy' is overloaded: 2 requests are already waiting");
      const metrics = await (await fetch(`${served.url}/metrics`)).text();
      expect(metrics).toContain(`berth_queue_rejections_total{model="heavy",version="1",reason="queue_full"} ${refused.length}`);
      expect((await heavyRequest(served.url, 1)).status).toBe(200);
    } finally {
      served.child.kill('SIGKILL');
    }
  });

  it('--workers 2 runs two processes on one port and drains both on SIGTERM', async () => {
    const served = await startBerthServe([`ident=${ident}`, '--port', '0', '--workers', '2']);
    expect(served.output().stdout).toContain('(2 processes)');
    for (let i = 0; i < 20; i++) {
      const { status } = await postJson(`${served.url}/v2/models/ident/infer`, { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] }, { connection: 'close' });
      expect(status).toBe(200);
    }
    // Each process counts only the requests it served: whichever process answers a scrape has
    // served some of the requests but not all, so the other process served the rest.
    for (let i = 0; i < 6; i++) {
      const metrics = await (await fetch(`${served.url}/metrics`, { headers: { connection: 'close' } })).text();
      const count = Number(/^berth_requests_total\{model="ident",version="1",protocol="v2-rest",outcome="success"\} (\d+)/m.exec(metrics)?.[1] ?? 0);
      expect(count).toBeGreaterThan(0);
      expect(count).toBeLessThan(20);
    }
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  });
});
