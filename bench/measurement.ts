/** One row of the results table, and the helper that measures one over HTTP. */
import type { LoadResult } from './load-result.js';
import { type BenchRequest, runLoad } from './run-load.js';
import { type MachineNoise, startNoiseMeter } from './machine-noise.js';
import type { QuietRunner } from './quiet-runner.js';
import { type ServerUsage, sampleServer } from './sample-server.js';
import type { ServerProcess } from './server-process.js';

/** Durations every measurement of a run uses. */
export interface BenchTiming {
  readonly seconds: number;
  readonly warmupSeconds: number;
}

/** A measured configuration. */
export interface Measurement {
  /** Stable key the ratios refer to, e.g. `mlp.json1.c64.berth`. */
  readonly id: string;
  /** Table the row belongs to. */
  readonly group: string;
  readonly server: string;
  readonly request: string;
  /** Server settings that differ from its defaults. */
  readonly setting: string;
  /** Connections, or threads for in-process runs. */
  readonly connections: number;
  readonly result: LoadResult;
  /** Peak resident memory of the server's process tree during the measurement, in MiB. */
  readonly rssPeakMb?: number;
  /** CPU the server's process tree used, in % of one core. */
  readonly serverCpuPercent?: number;
  /** CPU that was neither the bench's nor the server's (other processes, steal), in % of one core. */
  readonly noisePercent?: number;
  /** Requests per second of each slice, for measurements made of interleaved slices (run-monitor-scenario.ts). */
  readonly slices?: readonly number[];
  /** Set when the server died during the measurement: how, and its last output. */
  readonly serverDied?: string;
}

/** What {@link measureHttp} needs besides the server. */
export interface HttpMeasurementSpec {
  readonly id: string;
  readonly group: string;
  readonly request: string;
  readonly setting: string;
  readonly connections: number;
  readonly requests: readonly BenchRequest[];
}

/** What a measurement needs from the run: its durations and its patience with noise. */
export interface MeasureSettings {
  readonly timing: BenchTiming;
  readonly quiet: QuietRunner;
}

/** {@link measureHttpOnce}, repeated while the machine was too busy (see quiet-runner.ts). */
export function measureHttp(server: ServerProcess, spec: HttpMeasurementSpec, settings: MeasureSettings): Promise<Measurement> {
  return settings.quiet.run(() => measureHttpOnce(server, spec, settings.timing), noiseOf);
}

/** The noise behind a measurement, for {@link QuietRunner.run}; unknown counts as quiet. */
export function noiseOf(m: Measurement): number {
  return m.noisePercent ?? 0;
}

/** Loads a server (warm-up, then measured) while sampling its memory and CPU; prints a progress line. */
export async function measureHttpOnce(server: ServerProcess, spec: HttpMeasurementSpec, timing: BenchTiming): Promise<Measurement> {
  let usage: ServerUsage | undefined;
  let noise: MachineNoise | undefined;
  const result = await runLoad({
    url: server.url,
    requests: spec.requests,
    connections: spec.connections,
    ...timing,
    // Sampled over the measured run only, not the warm-up.
    onMeasure: () => {
      const sampler = sampleServer(server.pid);
      const meter = startNoiseMeter();
      return () => {
        usage = sampler.stop();
        noise = meter.stop();
      };
    },
  });
  const died = server.ended();
  const measurement: Measurement = {
    ...spec,
    server: server.label,
    result,
    // Usage of a process tree that lost its root mid-way means nothing.
    rssPeakMb: died ? undefined : usage?.peakRssMb,
    serverCpuPercent: died ? undefined : usage?.cpuPercent,
    noisePercent: !died && noise ? noise.othersPercent + noise.stealPercent : undefined,
    ...(died ? { serverDied: `${died}; its last output: ${server.output().slice(-1500)}` } : {}),
  };
  if (died) console.error(`  ${server.label} died during the measurement (${died}):\n${server.output().slice(-3000)}`);
  printProgress(measurement);
  return measurement;
}

/** One line per finished measurement, so a long run shows where it is. */
export function printProgress(m: Measurement): void {
  const r = m.result;
  const bad = r.errors + r.non2xx > 0 ? `  errors ${r.errors} non-2xx ${r.non2xx}` : '';
  console.log(
    `  ${m.server.padEnd(24)} ${m.request.padEnd(18)} ${m.setting.padEnd(22)} c=${String(m.connections).padEnd(4)}` +
      ` ${r.requestsPerSec.toFixed(0).padStart(7)} req/s ${r.rowsPerSec.toFixed(0).padStart(8)} rows/s` +
      `  p50 ${r.p50Ms.toFixed(2)} p99 ${r.p99Ms.toFixed(2)} ms` +
      `  cpu server ${m.serverCpuPercent?.toFixed(0) ?? '-'}% client ${r.clientCpuPercent.toFixed(0)}% noise ${m.noisePercent?.toFixed(0) ?? '-'}%${bad}`,
  );
}
