/**
 * The limit of inference on this machine: onnxruntime called in-process, no HTTP, one session per
 * worker thread and one thread per core, each running the same batch back to back.
 */
import { availableParallelism } from 'node:os';
import { LatencyRecorder } from './latency-recorder.js';
import type { LoadResult } from './load-result.js';
import type { OrtLoopJob, OrtLoopResult } from './ort-loop-thread.js';
import { startTsWorker } from './start-ts-worker.js';

/** Options of {@link runOrtInProcess}. */
export interface OrtInProcessOptions {
  readonly modelPath: string;
  readonly input: string;
  readonly rowShape: readonly number[];
  /** Rows per run (the batch size). */
  readonly rows: number;
  readonly values: readonly number[];
  readonly seconds: number;
  readonly warmupSeconds: number;
  /** Worker threads; one per core by default. */
  readonly threads?: number;
}

/** Runs the loop on every thread at once and reports runs/s, rows/s and run latency. */
export async function runOrtInProcess(options: OrtInProcessOptions): Promise<LoadResult> {
  const threads = options.threads ?? availableParallelism();
  const job: OrtLoopJob = {
    modelPath: options.modelPath,
    input: options.input,
    shape: [options.rows, ...options.rowShape],
    values: Float32Array.from(options.values),
    warmupSeconds: options.warmupSeconds,
    seconds: options.seconds,
  };
  let cpuBefore = process.cpuUsage();
  const workers = Array.from({ length: threads }, () => startTsWorker(new URL('./ort-loop-thread.ts', import.meta.url), job));
  const results = await new Promise<OrtLoopResult[]>((resolve, reject) => {
    let loaded = 0;
    const done: OrtLoopResult[] = [];
    for (const worker of workers) {
      worker.once('error', reject);
      worker.on('message', (message: 'loaded' | OrtLoopResult) => {
        if (message === 'loaded') {
          // Start every thread together, so they all measure while the others run too.
          if (++loaded === threads) {
            cpuBefore = process.cpuUsage();
            for (const w of workers) w.postMessage('go');
          }
          return;
        }
        done.push(message);
        if (done.length === threads) resolve(done);
      });
    }
  });
  const cpu = process.cpuUsage(cpuBefore);
  await Promise.all(workers.map((w) => w.terminate()));
  const latencies = new LatencyRecorder();
  let runsPerSec = 0;
  for (const result of results) {
    latencies.merge(result.latencies);
    runsPerSec += result.runs / result.seconds;
  }
  return {
    seconds: Math.max(...results.map((r) => r.seconds)),
    requestsPerSec: runsPerSec,
    rowsPerSec: runsPerSec * options.rows,
    p50Ms: latencies.percentile(50),
    p99Ms: latencies.percentile(99),
    errors: 0,
    non2xx: 0,
    otherStatuses: {},
    // Over the warm-up and the measurement together: it is the same steady loop throughout.
    clientCpuPercent: (cpu.user + cpu.system) / 1e4 / (Math.max(...results.map((r) => r.seconds)) + options.warmupSeconds),
  };
}
