/** One row of the results for onnxruntime in-process (the limit of inference). */
import { availableParallelism } from 'node:os';
import { startNoiseMeter } from './machine-noise.js';
import { type Measurement, noiseOf, printProgress } from './measurement.js';
import type { QuietRunner } from './quiet-runner.js';
import { type OrtInProcessOptions, runOrtInProcess } from './run-ort-in-process.js';

/** Runs the in-process loop for `options.rows` rows per run (again if it was noisy) and returns the row. */
export function measureInProcess(id: string, group: string, options: OrtInProcessOptions, quiet: QuietRunner): Promise<Measurement> {
  return quiet.run(() => measureOnce(id, group, options), noiseOf);
}

async function measureOnce(id: string, group: string, options: OrtInProcessOptions): Promise<Measurement> {
  const threads = options.threads ?? availableParallelism();
  const meter = startNoiseMeter();
  const result = await runOrtInProcess({ ...options, threads });
  const noise = meter.stop();
  const measurement: Measurement = {
    id,
    group,
    server: 'onnxruntime in-process',
    request: `batch of ${options.rows}`,
    setting: `${threads} threads`,
    connections: threads,
    result,
    noisePercent: noise.othersPercent + noise.stealPercent,
  };
  printProgress(measurement);
  return measurement;
}
