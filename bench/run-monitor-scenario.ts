/**
 * What monitoring costs a real server (issue 6: at most 10% of throughput). A loans model trained
 * by `berth train` and served from a registry answers one-row named-feature predictions at 64
 * connections with monitoring off, with windows only (no prediction log, no samples), and with
 * the defaults (windows, the prediction log that feedback joins against, 1% samples). The three
 * servers are measured in turn, ROUNDS rounds, the order rotated each round, so that drift in the
 * machine's load and whatever a position in the sequence costs hit all of them alike; the report
 * judges by the median of the rounds' ratios, each taken between servers measured minutes apart
 * at most, so one round disturbed by the machine moves it little.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCsvFile } from '../src/train/index.js';
import { measureHttp } from './measurement.js';
import type { BenchRequest } from './run-load.js';
import { type ServerProcess, startServerProcess } from './server-process.js';
import { BERTH_BIN } from './start-berth.js';
import type { SuiteContext } from './suite-context.js';

const GROUP = 'Monitoring: named-feature predictions of a trained model';
const DATA = new URL('../test/fixtures/datasets/', import.meta.url).pathname;
/** Distinct rows the requests cycle through, so the sketches see real, varied values. */
const DISTINCT_REQUESTS = 200;
/**
 * Rounds of the three servers. On the 2-core machines this runs on, the same server measured in
 * two rounds differed by up to 40%; five rounds give a median that one bad round cannot carry.
 */
export const MONITOR_ROUNDS = 5;

/** The monitoring settings compared, by measurement key. */
const SETTINGS: readonly [key: string, setting: string, monitor: Record<string, unknown>][] = [
  ['off', 'monitoring off', { enabled: false }],
  ['windows', 'windows only', { predictionLog: false, sampleRate: 0 }],
  ['on', 'monitoring on (defaults)', {}],
];

/** Runs the monitoring measurements into `ctx`. */
export async function runMonitorScenario(ctx: SuiteContext): Promise<void> {
  console.log('Monitoring overhead (loans model, named-feature predictions)');
  const home = mkdtempSync(join(tmpdir(), 'berth-bench-monitor-'));
  try {
    execFileSync(process.execPath, [BERTH_BIN, 'train', join(DATA, 'loans_reference.csv'), '--target', 'defaulted', '--name', 'loans', '--register', '--alias', 'production'], {
      env: { ...process.env, BERTH_HOME: home },
      stdio: 'ignore',
    });
    const requests = await predictRequests();
    const rounds = ctx.quick ? 1 : MONITOR_ROUNDS;
    for (let round = 1; round <= rounds; round++) {
      const order = SETTINGS.map((_, i) => SETTINGS[(i + round - 1) % SETTINGS.length]!);
      for (const [key, setting, monitor] of order) {
        const config = join(home, `${key}.json`);
        writeFileSync(config, JSON.stringify({ monitor }));
        let server: ServerProcess | undefined;
        try {
          server = await startServerProcess({
            label: 'Berth',
            command: process.execPath,
            args: [BERTH_BIN, 'serve', '--port', '0', '--log-level', 'info', '--config', config],
            env: { BERTH_HOME: home },
            urlPattern: /serving .* at (http:\/\/[^\s"]+)/,
            readyPath: '/v2/health/ready',
          });
          const spec = { id: `monitor.${key}.r${round}`, group: GROUP, request: 'records, 1 row', setting: `${setting}, round ${round}`, connections: 64, requests };
          ctx.measurements.push(await measureHttp(server, spec, ctx));
        } finally {
          await server?.stop();
        }
      }
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

async function predictRequests(): Promise<BenchRequest[]> {
  const table = await readCsvFile(join(DATA, 'loans_current_stable.csv'));
  return table.rows.slice(0, DISTINCT_REQUESTS).map((values) => {
    const record: Record<string, string | number | null> = {};
    table.header.forEach((name, i) => {
      if (name === 'defaulted') return;
      const raw = values[i]!;
      const n = Number(raw);
      record[name] = raw === '' ? null : Number.isNaN(n) ? raw : n;
    });
    return { method: 'POST', path: '/api/models/loans/predict', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: [record] }), rows: 1 };
  });
}
