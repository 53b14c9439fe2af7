/**
 * Worker-thread entry for the in-process limit: one onnxruntime session of its own, run in a
 * closed loop on the same input (warm-up, then measured) once the parent says go.
 */
import ort from 'onnxruntime-node';
import { parentPort, workerData } from 'node:worker_threads';
import { LatencyRecorder } from './latency-recorder.js';

/** What the parent sends in workerData. */
export interface OrtLoopJob {
  readonly modelPath: string;
  readonly input: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
  readonly warmupSeconds: number;
  readonly seconds: number;
}

/** What the thread posts back when done. */
export interface OrtLoopResult {
  readonly runs: number;
  readonly seconds: number;
  readonly latencies: Float64Array;
}

const job = workerData as OrtLoopJob;
// The session options Berth uses (src/runtime/session-runner.ts), so the limit is like for like.
const session = await ort.InferenceSession.create(job.modelPath, {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
});
const feeds = { [job.input]: new ort.Tensor('float32', job.values, [...job.shape]) };
parentPort!.postMessage('loaded');
await new Promise((resolve) => parentPort!.once('message', resolve));

const warmUntil = performance.now() + job.warmupSeconds * 1000;
while (performance.now() < warmUntil) await session.run(feeds);

const latencies = new LatencyRecorder();
const started = performance.now();
const until = started + job.seconds * 1000;
let runs = 0;
for (let now = started; now < until; runs++) {
  await session.run(feeds);
  const after = performance.now();
  latencies.record(after - now);
  now = after;
}
const result: OrtLoopResult = { runs, seconds: (performance.now() - started) / 1000, latencies: latencies.samples() };
await session.release();
parentPort!.postMessage(result);
