/**
 * `npm run bench`: starts the servers, drives load at them, and writes BENCHMARKS.md.
 *
 *   npm run bench                      # the full run (a few minutes)
 *   npm run bench -- --quick           # short measurements, to check the harness
 *   npm run bench -- --only mlp,cnn    # some scenarios: mlp, cnn, fixtures, monitor, deploy
 *   npm run bench -- --seconds 10 --warmup 3 --out /tmp/BENCHMARKS.md
 *   npm run bench -- --max-noise 25 --attempts 3 --noise-budget 600
 *
 * On a shared machine each measurement waits briefly for quiet and is repeated (the quietest
 * attempt kept) when other processes took more than --max-noise % of a core meanwhile; see
 * quiet-runner.ts. --quick never repeats.
 */
import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { writeBenchModels } from './bench-models.js';
import { startNoiseMeter } from './machine-noise.js';
import { ensureBuild } from './ensure-build.js';
import { loadAverage, machineInfo } from './machine-info.js';
import { renderReport } from './render-report.js';
import { runCnnScenarios } from './run-cnn-scenarios.js';
import { runDeployScenario } from './run-deploy-scenario.js';
import { runFixtureScenario } from './run-fixture-scenario.js';
import { runMlpScenarios } from './run-mlp-scenarios.js';
import { runMonitorScenario } from './run-monitor-scenario.js';
import { type QuietPolicy, QuietRunner } from './quiet-runner.js';
import { pythonServerMissing, pythonServerVersions } from './start-python-server.js';
import type { SuiteContext } from './suite-context.js';

const SCENARIOS = { mlp: runMlpScenarios, cnn: runCnnScenarios, fixtures: runFixtureScenario, monitor: runMonitorScenario, deploy: runDeployScenario } as const;
type ScenarioName = keyof typeof SCENARIOS;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    only: { type: 'string' },
    'max-noise': { type: 'string', default: '25' },
    attempts: { type: 'string' },
    'noise-budget': { type: 'string', default: '600' },
    out: { type: 'string', default: new URL('../BENCHMARKS.md', import.meta.url).pathname },
  },
});

const only = (args.only?.split(',') ?? Object.keys(SCENARIOS)) as ScenarioName[];
for (const name of only) if (!(name in SCENARIOS)) throw new Error(`unknown scenario '${name}'; choose from ${Object.keys(SCENARIOS).join(', ')}`);
const timing = {
  seconds: Number(args.seconds ?? (args.quick ? 3 : 8)),
  warmupSeconds: Number(args.warmup ?? (args.quick ? 1 : 2)),
};

// An interrupted bench must still run its exit handlers, which stop the servers it started.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

ensureBuild();
const machine = machineInfo();
const pythonMissing = pythonServerMissing();
const quietPolicy: QuietPolicy = {
  maxNoisePercent: Number(args['max-noise']),
  attempts: Number(args.attempts ?? (args.quick ? 1 : 3)),
  waitSeconds: args.quick ? 0 : 20,
  budgetSeconds: Number(args['noise-budget']),
};
const quiet = new QuietRunner(quietPolicy);
const ctx: SuiteContext = { models: writeBenchModels(), timing, quick: args.quick!, quiet, pythonMissing, measurements: [], notes: [] };
if (pythonMissing) ctx.notes.push(`The FastAPI + scikit-learn server is skipped: ${pythonMissing}.`);
const loadBefore = loadAverage();
const noise = startNoiseMeter();
const started = new Date();
console.log(`Berth bench: ${machine.cpu}, ${machine.cores} cores, load average ${loadBefore}; ${timing.warmupSeconds} s warm-up + ${timing.seconds} s per measurement`);
try {
  for (const name of only) await SCENARIOS[name](ctx);
} finally {
  await rm(ctx.models.dir, { recursive: true, force: true });
}
const report = renderReport({
  machine,
  python: pythonMissing ? undefined : pythonServerVersions(),
  timing,
  quick: args.quick!,
  scenarios: only,
  started,
  minutes: (Date.now() - started.getTime()) / 60_000,
  loadBefore,
  loadAfter: loadAverage(),
  noise: noise.stop(),
  quiet: { ...quiet.stats, ...quietPolicy },
  measurements: ctx.measurements,
  notes: ctx.notes,
});
writeFileSync(args.out!, report);
console.log(`wrote ${args.out}`);
