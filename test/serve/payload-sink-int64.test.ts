/**
 * The CloudEvents payload sink for a model with INT64 outputs (a scikit-learn classifier converted
 * by skl2onnx answers an int64 `label`), through a real monitored server, a real onnxruntime model
 * and a real loopback HTTP receiver: its events arrive, every INT64 value (inputs and outputs) a
 * JSON number with every digit, as the OIP JSON answer writes it; a small request's event sent
 * whole, a large one's as it is printed (chunked).
 */
import { isLosslessNumber, parse } from 'lossless-json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LARGE_EVENT_ROWS } from '../../dist/monitor/index.js';
import { tempDir, writeInt64LabelModel } from '../helpers/models.js';
import { eventually, postJson, startRegistryServer } from '../helpers/server.js';
import { type SinkReceiver, startSinkReceiver } from '../helpers/sink-receiver.js';

const LARGE_ROWS = 60_000;
/** 64-bit values a JSON reader that parses doubles would round, and the extremes. */
const SMALL_IDS = ['9007199254740993', '-9223372036854775808', '9223372036854775807', '42'];

interface Event {
  readonly id: string;
  readonly data: { readonly rows: unknown; readonly inputs: Record<string, unknown[]>; readonly outputs: Record<string, unknown[]> };
}

let server: Awaited<ReturnType<typeof startRegistryServer>>;
let lake: SinkReceiver;

beforeAll(async () => {
  lake = await startSinkReceiver();
  const sink = { url: lake.url, flushMs: 100, attempts: 2 };
  server = await startRegistryServer(tempDir(), { monitor: { sampleRate: 0, payloads: { rate: 1, sink } } });
  await server.registry.register(writeInt64LabelModel(tempDir()), { name: 'classes', aliases: ['production'] });
  await eventually(async () => (await fetch(`${server.url}/v2/models/classes/ready`)).status === 200, 30_000);
}, 60_000);

afterAll(async () => {
  await server?.close();
  lake?.close();
});

/** An OIP JSON request of `ids` (decimal digits, sent as JSON numbers) whose row i has its largest x at column `hot[i]`. */
async function infer(hot: readonly number[], ids: readonly string[]): Promise<{ requestId: string; outputs: Map<string, unknown[]> }> {
  const x = hot.flatMap((h, i) => [0, 1, 2].map((j) => (j === h ? 5 + (i % 7) : (i % 5) / 10)));
  const body = `{"inputs":[{"name":"x","datatype":"FP32","shape":[${hot.length},3],"data":${JSON.stringify(x)}},{"name":"id","datatype":"INT64","shape":[${ids.length}],"data":[${ids.join(',')}]}]}`;
  const answer = await postJson(`${server.url}/v2/models/classes/infer`, body);
  expect(answer.status).toBe(200);
  const parsed = parse(answer.text) as { outputs: { name: string; data: unknown[] }[] };
  return { requestId: answer.headers.get('x-request-id')!, outputs: new Map(parsed.outputs.map((o) => [o.name, o.data])) };
}

/** The digits of JSON numbers read losslessly; anything else (a string) fails. */
function digits(values: readonly unknown[]): string[] {
  return values.map((v) => {
    expect(isLosslessNumber(v)).toBe(true);
    return String(v);
  });
}

describe('the CloudEvents sink for a model with INT64 outputs', () => {
  it('delivers its events, INT64 values as JSON numbers with every digit, as the answer writes them', async () => {
    const small = await infer([0, 1, 2, 0], SMALL_IDS);
    expect(digits(small.outputs.get('label')!)).toEqual(['0', '1', '2', '0']);
    expect(digits(small.outputs.get('key')!)).toEqual(SMALL_IDS);

    // A large request: its event is read whole, printed a slice per turn and sent chunked.
    expect(LARGE_ROWS).toBeGreaterThan(LARGE_EVENT_ROWS);
    const largeIds = Array.from({ length: LARGE_ROWS }, (_, i) => String(BigInt(i) * 1_000_000_000_007n - 3n));
    const largeLabels = Array.from({ length: LARGE_ROWS }, (_, i) => String(i % 3));
    const large = await infer(Array.from({ length: LARGE_ROWS }, (_, i) => i % 3), largeIds);
    expect(digits(large.outputs.get('label')!)).toEqual(largeLabels);

    // Both events arrive (before the fix the sink could not print them: nothing arrived).
    const arrived = () => lake.posts.flatMap((p) => (parse(p.text) as Event[]).map((e) => e.id));
    expect(await eventually(() => arrived().length >= 2, 20_000)).toBe(true);
    expect(arrived()).toEqual([small.requestId, large.requestId]);

    const smallPost = lake.posts.find((p) => p.text.includes(small.requestId))!;
    const [smallEvent] = parse(smallPost.text) as Event[];
    expect(smallPost.transferEncoding).toBeUndefined();
    expect(digits(smallEvent!.data.outputs.label!)).toEqual(['0', '1', '2', '0']);
    // The same digits as the OIP answer, in the outputs and in the inputs sent.
    expect(digits(smallEvent!.data.outputs.key!)).toEqual(digits(small.outputs.get('key')!));
    expect(digits(smallEvent!.data.inputs.id!)).toEqual(SMALL_IDS);
    expect(smallPost.text).toContain('"key":[9007199254740993,-9223372036854775808,9223372036854775807,42]');
    expect(smallPost.text).toContain('"label":[0,1,2,0]');

    const largePost = lake.posts.find((p) => p.text.includes(large.requestId))!;
    expect(largePost.transferEncoding).toBe('chunked');
    const largeEvent = (parse(largePost.text) as Event[]).find((e) => e.id === large.requestId)!;
    expect(String(largeEvent.data.rows)).toBe(String(LARGE_ROWS));
    expect(digits(largeEvent.data.outputs.label!)).toEqual(largeLabels);
    expect(digits(largeEvent.data.outputs.key!)).toEqual(largeIds);
    expect(digits(largeEvent.data.inputs.id!)).toEqual(largeIds);

    // Counted as sent, none failed.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/berth_monitor_payload_sink_events_total\{[^}]*outcome="sent"[^}]*\} 2\b/);
    expect(metrics).not.toMatch(/berth_monitor_payload_sink_events_total\{[^}]*outcome="failed"[^}]*\} [1-9]/);
  }, 120_000);
});
