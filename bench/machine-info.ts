/** The machine a bench ran on, for the report. */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

/** What the report says about the machine. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly node: string;
  readonly onnxruntime: string;
  readonly autocannon: string;
  readonly os: string;
}

/** Reads the machine's description. */
export function machineInfo(): MachineInfo {
  const version = (pkg: string) => (JSON.parse(readFileSync(new URL(`../node_modules/${pkg}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
  let os: string = process.platform;
  try {
    os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os;
  } catch {
    // Not Linux: the platform name will do.
  }
  return {
    cpu: cpus()[0]?.model ?? 'unknown CPU',
    cores: availableParallelism(),
    memoryGb: totalmem() / 2 ** 30,
    node: process.version,
    onnxruntime: version('onnxruntime-node'),
    autocannon: version('autocannon'),
    os,
  };
}

/** The 1, 5 and 15 minute load averages, formatted. */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
}
