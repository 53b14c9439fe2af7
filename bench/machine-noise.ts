/**
 * How much of the machine was not ours while the bench measured: CPU used by other processes
 * (other people's builds and tests on a shared machine) and CPU the hypervisor gave to other
 * guests (steal). Either one makes the numbers measured meanwhile low and noisy.
 */
import { readFileSync } from 'node:fs';
import { readTree } from './sample-server.js';

/** Clock ticks per second of /proc/stat (USER_HZ). */
const TICKS_PER_SECOND = 100;

/** Noise over one period, in % of one core. */
export interface MachineNoise {
  /** CPU used by processes outside the bench and the servers it started. */
  readonly othersPercent: number;
  /** CPU taken by the hypervisor for other guests. */
  readonly stealPercent: number;
}

/** A running meter; `stop()` reads the period. */
export interface NoiseMeter {
  stop(): MachineNoise;
}

interface Reading {
  readonly at: number;
  readonly busy: number;
  readonly steal: number;
  readonly ours: number;
}

/** Starts measuring from now. */
export function startNoiseMeter(): NoiseMeter {
  const first = read();
  return {
    stop() {
      const last = read();
      const ticks = ((last.at - first.at) / 1000) * TICKS_PER_SECOND;
      if (ticks <= 0) return { othersPercent: 0, stealPercent: 0 };
      return {
        othersPercent: Math.max(0, (100 * (last.busy - first.busy - (last.ours - first.ours))) / ticks),
        stealPercent: (100 * (last.steal - first.steal)) / ticks,
      };
    },
  };
}

function read(): Reading {
  let busy = 0;
  let steal = 0;
  try {
    // cpu user nice system idle iowait irq softirq steal ...
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    busy = fields[0]! + fields[1]! + fields[2]! + fields[5]! + fields[6]!;
    steal = fields[7]!;
  } catch {
    // Not Linux: no noise figures.
  }
  // The bench process (load generator, probe thread, in-process loops) and every server it started.
  return { at: performance.now(), busy, steal, ours: readTree(process.pid).cpuTicks };
}
