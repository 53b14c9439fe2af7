/**
 * Resident memory and CPU time of a server while it is under load, read from /proc (Linux). A
 * server of several processes (berth --workers N, uvicorn --workers N) counts as its whole
 * process tree.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** What a server used over the sampling period. */
export interface ServerUsage {
  /** Peak resident set size, in MiB. */
  readonly peakRssMb: number;
  /** CPU time over wall time, in % of one core (200 = two cores busy). */
  readonly cpuPercent: number;
}

/** A running sampler; `stop()` ends it and summarises. */
export interface ServerSampler {
  stop(): ServerUsage;
}

const PAGE_BYTES = 4096;
/** Clock ticks per second of /proc/PID/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** Samples the process tree of `rootPid` every `intervalMs` until stopped. */
export function sampleServer(rootPid: number, intervalMs = 250): ServerSampler {
  let peak = 0;
  const take = () => {
    const tree = readTree(rootPid);
    peak = Math.max(peak, tree.rssBytes);
    return tree;
  };
  const first = take();
  const started = performance.now();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const last = take();
      const seconds = (performance.now() - started) / 1000;
      // Processes that ended meanwhile are not in `last`; for a server under load, none should.
      const cpuSeconds = (last.cpuTicks - first.cpuTicks) / TICKS_PER_SECOND;
      return { peakRssMb: peak / 2 ** 20, cpuPercent: seconds > 0 ? (100 * cpuSeconds) / seconds : 0 };
    },
  };
}

/** Resident bytes and CPU ticks (user + system) of a process and all its descendants. */
export function readTree(rootPid: number): { rssBytes: number; cpuTicks: number } {
  const children = new Map<number, number[]>();
  const stats = new Map<number, string[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readOrEmpty(`/proc/${entry}/stat`);
    // The command name is in parentheses and may hold spaces; the fields after it are plain.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    if (!Number.isFinite(ppid)) continue;
    stats.set(Number(entry), fields);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  let rssBytes = 0;
  let cpuTicks = 0;
  const pending = [rootPid];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    const fields = stats.get(pid);
    if (fields) {
      // After the name: state(0) ppid(1) ... utime(11) stime(12) ... rss(21), in pages.
      cpuTicks += Number(fields[11]) + Number(fields[12]);
      rssBytes += Number(fields[21]) * PAGE_BYTES;
    }
    pending.push(...(children.get(pid) ?? []));
  }
  return { rssBytes, cpuTicks };
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
