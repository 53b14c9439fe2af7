/** One load measurement with autocannon: a warm-up run, then the measured run. */
import autocannon from 'autocannon';
import { LatencyRecorder } from './latency-recorder.js';
import type { LoadResult } from './load-result.js';

/** One HTTP request the load generator sends. */
export interface BenchRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** Rows of model input the request carries (0 for requests without any). */
  readonly rows: number;
}

/** Options of {@link runLoad}. */
export interface LoadOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Sent in turn by every connection (one request: the same request over and over). */
  readonly requests: readonly BenchRequest[];
  readonly connections: number;
  readonly seconds: number;
  /** Seconds of load before the measurement, not counted (JIT, allocators, batch sizes settle). */
  readonly warmupSeconds: number;
  /** Caps the request rate over all connections (for a probe that must not add load itself). */
  readonly overallRate?: number;
  /** Called as the measured run starts; the function it returns, as it ends. */
  readonly onMeasure?: () => () => void;
}

/** Runs the warm-up and the measurement and reports the measurement. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  if (options.warmupSeconds > 0) await cannon(options, options.warmupSeconds);
  const ended = options.onMeasure?.();
  try {
    return await cannon(options, options.seconds);
  } finally {
    ended?.();
  }
}

async function cannon(options: LoadOptions, seconds: number): Promise<LoadResult> {
  const latencies = new LatencyRecorder();
  const cpuBefore = process.cpuUsage();
  const requests = options.requests.map((r) => ({
    method: r.method,
    path: r.path,
    ...(r.headers ? { headers: { ...r.headers } } : {}),
    ...(r.body !== undefined ? { body: r.body } : {}),
  }));
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: seconds,
        requests,
        // A slow answer is a result to report, not a reason to drop the connection early.
        timeout: 30,
        ...(options.overallRate ? { overallRate: options.overallRate } : {}),
      },
      (error: unknown, value: autocannon.Result) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(value)),
    );
    instance.on('response', (_client, _status, _bytes, ms) => latencies.record(ms));
  });
  const cpu = process.cpuUsage(cpuBefore);
  // Every connection cycles through the same list, so the mean rows per request is the list's.
  const meanRows = options.requests.reduce((n, r) => n + r.rows, 0) / options.requests.length;
  const ok = result['2xx'];
  const otherStatuses: Record<string, number> = {};
  for (const [status, stats] of Object.entries(result.statusCodeStats ?? {})) {
    if (!status.startsWith('2')) otherStatuses[status] = stats.count ?? 0;
  }
  return {
    seconds: result.duration,
    requestsPerSec: ok / result.duration,
    rowsPerSec: (ok * meanRows) / result.duration,
    p50Ms: latencies.percentile(50),
    p99Ms: latencies.percentile(99),
    errors: result.errors,
    non2xx: result.non2xx,
    otherStatuses,
    clientCpuPercent: (cpu.user + cpu.system) / 1e4 / result.duration,
  };
}
