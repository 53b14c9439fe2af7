#!/usr/bin/env node
/**
 * The `berth` command line: parses argv, builds the configuration, calls the command function,
 * and turns its outcome into an exit code. The only module that reads process.env or exits.
 */
import { Command, Option } from 'commander';
import { pino } from 'pino';
import { type Config, type ConfigInput, drainDelayMs } from '../core/config.js';
import { BerthError } from '../core/errors.js';
import { parseModelFolderSpec } from './model-spec.js';
import { announceListening, isClusterWorker, runPrimary } from './cluster.js';
import { serve } from './commands/serve.js';
import { loadConfig } from './load-config.js';
import { berthVersion } from './package-info.js';
import { addBuildCommand } from './build-program.js';
import { addConformanceCommand } from './conformance-program.js';
import { addK8sCommands } from './k8s-program.js';
import { addKeysCommands } from './keys-program.js';
import { addMonitorCommands } from './monitor-program.js';
import { addRegistryCommands } from './registry-program.js';
import { addRetrainCommand } from './retrain-program.js';
import { addRolloutCommands } from './rollout-program.js';
import { addTrainCommands } from './train-program.js';
import { collect, integer, wholeNumber } from './option-parsers.js';
import { watchParent } from './watch-parent.js';


function createLogger(config: Config) {
  // Logs are JSON lines on stderr and stdout carries the human-readable status lines, unless logs
  // go to stdout (containers), where the status lines become log lines too.
  return pino({ level: config.log.level, base: { service: 'berth' } }, pino.destination(config.log.stream === 'stdout' ? 1 : 2));
}

function fail(error: unknown): never {
  if (error instanceof BerthError) {
    process.stderr.write(`berth: ${error.message} [${error.code}]\n`);
  } else {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`berth: internal error: ${message}\nThis is a bug in Berth; please report it with the command you ran.\n`);
  }
  process.exit(1);
}

const version = berthVersion();
const program = new Command()
  .name('berth')
  .description('Deploy, serve and monitor machine-learning models (ONNX) from one small TypeScript tool.')
  .version(version)
  .showHelpAfterError();

program
  .command('serve')
  .description(
    'Serve ONNX models over the Open Inference Protocol (REST) and KServe V1 until SIGTERM or SIGINT. ' +
      'With no model files, serve the registry (BERTH_HOME or --database): every version an alias points at, ' +
      "each model's production version at its plain name, following alias moves; plus the management API under /api/.",
  )
  .argument('[model...]', 'path/to/model.onnx (named after the file), name=path/to/model.onnx, or one model folder (an image\'s /models, made by berth build); name=folder serves a folder\'s one model under that name')
  .option('--host <host>', 'interface to listen on (env BERTH_HOST)', undefined)
  .option('--port <port>', 'port to listen on; 0 picks a free port (env BERTH_PORT)', integer)
  .option('--grpc-port <port>', 'also serve the Open Inference Protocol over gRPC on this port; 0 picks a free one (env BERTH_GRPC_PORT)', integer)
  .option('--body-limit <bytes>', 'largest request body accepted (env BERTH_BODY_LIMIT)', integer)
  .option('--max-response-bytes <bytes>', 'most bytes of tensor data one answer may hold; larger ones get 413 (env BERTH_MAX_RESPONSE_BYTES)', integer)
  .option('--workers <n>', 'server processes sharing the port (env BERTH_WORKERS)', integer)
  .option('--threads <n>', 'inference worker threads per process; 0 = cores / processes (env BERTH_THREADS)', integer)
  .option('--intra-op-threads <n>', 'onnxruntime threads per session (env BERTH_INTRA_OP_THREADS)', integer)
  .option('--max-batch-size <rows>', 'most rows stacked into one run; 1 turns batching off (env BERTH_MAX_BATCH_SIZE)', integer)
  .option('--max-batch-wait-ms <ms>', 'longest a batch is held to fill up; 0 = never (env BERTH_MAX_BATCH_WAIT_MS)', Number)
  .option('--max-queue <n>', 'most requests waiting per model before 503 (env BERTH_MAX_QUEUE)', integer)
  .option('--queue-timeout-ms <ms>', 'longest a request may wait in the queue (env BERTH_QUEUE_TIMEOUT_MS)', integer)
  .option(
    '--model-memory <bytes>',
    'memory budget for loaded versions: they load on first request and the least recently used are unloaded past it; 0 = none (env BERTH_MODEL_MEMORY)',
    wholeNumber,
  )
  .option('--pin <alias>', 'with --model-memory: keep versions this alias points at loaded, never unloaded (repeatable; env BERTH_PINNED_ALIASES=a,b)', collect)
  .option('--cold-load-timeout-ms <ms>', 'with --model-memory: longest a request waits for its version to load (env BERTH_COLD_LOAD_TIMEOUT_MS)', integer)
  .addOption(
    new Option('--execution <mode>', 'where inference runs: auto, worker or inline (env BERTH_EXECUTION)').choices(['auto', 'worker', 'inline']),
  )
  .addOption(
    new Option('--log-level <level>', 'log level (env BERTH_LOG_LEVEL)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  )
  .option('--drain-delay-ms <ms>', 'after SIGTERM, how long to keep serving with readiness false before closing; default 5000 beyond loopback, 0 on it (env BERTH_DRAIN_DELAY_MS)', integer)
  .option('--drain-idle-ms <ms>', 'once the port has closed, how long an idle keep-alive connection stays open for a request already on its way; default 1000 (env BERTH_DRAIN_IDLE_MS)', integer)
  .option('--inference-auth', 'inference, metadata, gRPC and /metrics need an API key or the admin token too (env BERTH_INFERENCE_AUTH)')
  .option('--config <file>', 'JSON config file (env BERTH_CONFIG)')
  .option('--home <dir>', 'registry home with berth.db and blobs/ (env BERTH_HOME, default ./.berth)')
  .option('--database <url>', 'postgres://… registry database instead of BERTH_HOME/berth.db (env BERTH_DATABASE_URL)')
  .option('--blobs <url>', 'blob store: s3://bucket/prefix or a folder instead of BERTH_HOME/blobs (env BERTH_BLOBS)')
  .option('--payloads <share>', 'log the inputs and outputs of this share of requests (0 to 1) to the payload log (env BERTH_MONITOR_PAYLOAD_RATE; default 0, off)', Number)
  .addHelpText(
    'after',
    '\nExamples:\n  berth serve model.onnx\n  berth serve digits=models/mlp.onnx iris=models/iris.onnx --port 0\n' +
      '  berth serve                       # the registry in ./.berth\n  BERTH_ADMIN_TOKEN=… berth serve --host 0.0.0.0 --database postgres://db/berth\n',
  )
  .action(async (models: string[], opts: Record<string, unknown>) => {
    const flags: ConfigInput = {
      server: pick({ host: opts.host, port: opts.port, grpcPort: opts.grpcPort, bodyLimit: opts.bodyLimit, maxResponseBytes: opts.maxResponseBytes, workers: opts.workers, inferenceAuth: opts.inferenceAuth, drainDelayMs: opts.drainDelayMs, drainIdleMs: opts.drainIdleMs }),
      runtime: pick({
        threads: opts.threads,
        intraOpThreads: opts.intraOpThreads,
        execution: opts.execution,
        modelMemory: opts.modelMemory,
        pinnedAliases: opts.pin,
        coldLoadTimeoutMs: opts.coldLoadTimeoutMs,
      }),
      batching: pick({
        maxBatchSize: opts.maxBatchSize,
        maxWaitMs: opts.maxBatchWaitMs,
        maxQueue: opts.maxQueue,
        timeoutMs: opts.queueTimeoutMs,
      }),
      log: pick({ level: opts.logLevel }),
      store: pick({ home: opts.home, databaseUrl: opts.database, blobs: opts.blobs }),
      ...(opts.payloads !== undefined ? { monitor: { payloads: { rate: opts.payloads } } } : {}),
    } as ConfigInput;
    // Without model files the registry is served, and with it the management API; a model folder
    // (an image's /models) has a read-only one.
    const purpose = { managementApi: models.length === 0 || parseModelFolderSpec(models) !== undefined };
    const config = loadConfig({ file: (opts.config as string | undefined) ?? process.env.BERTH_CONFIG, env: process.env, flags }, purpose);
    const logger = createLogger(config);
    const print = config.log.stream === 'stdout' ? (line: string) => logger.info(line) : (line: string) => process.stdout.write(`${line}\n`);
    // Under npm (npx, npm run) signals stop at npm, so its exit stands for SIGTERM (see watch-parent.ts).
    if (process.env.npm_command !== undefined && !isClusterWorker()) watchParent(() => process.kill(process.pid, 'SIGTERM'));
    if (config.server.workers > 1 && !isClusterWorker()) {
      process.exit(await runPrimary({ workers: config.server.workers, print, log: (message) => logger.warn(message) }));
    }
    const server = await serve({ models, config, logger, version, print: isClusterWorker() ? announceListening : print });
    let signals = 0;
    const stop = (signal: string) => {
      // A second signal cuts the drain delay short.
      if (signals++ > 0) {
        void server.close({ now: true });
        return;
      }
      const delay = drainDelayMs(config);
      logger.info({ signal, drainDelayMs: delay }, 'shutting down: readiness off, then finishing requests in flight');
      server.close({ drainDelayMs: delay, idleGraceMs: config.server.drainIdleMs }).then(
        () => process.exit(0),
        (error: unknown) => fail(error),
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));

  });

// package, register, models, versions, alias, show, delete, export, import, audit
addRegistryCommands(program, { env: process.env, print: (text) => process.stdout.write(`${text}\n`) });

// train, predict, demo
addTrainCommands(program, {
  env: process.env,
  print: (text) => process.stdout.write(`${text}\n`),
  stdout: process.stdout,
  stderr: process.stderr,
  createLogger,
  version,
  onSignal: (signal, handler) => process.once(signal, handler),
  exit: (code) => process.exit(code),
});

// build
addBuildCommand(program, {
  env: process.env,
  print: (text) => process.stdout.write(`${text}\n`),
  progress: (text) => process.stderr.write(`${text}\n`),
});

// monitor, drift
addMonitorCommands(program, { env: process.env, print: (text) => process.stdout.write(`${text}\n`) });

// rollout, rollback
addRolloutCommands(program, { env: process.env, print: (text) => process.stdout.write(`${text}\n`), exit: (code) => process.exit(code) });
// retrain: --wait follows a server's run of the job; the servers read the payload log.
addRetrainCommand(program, { env: process.env, print: (text) => process.stdout.write(`${text}\n`), exit: (code) => process.exit(code) });
// keys
addKeysCommands(program, { env: process.env, print: (text) => process.stdout.write(`${text}\n`) });

// k8s
addK8sCommands(program, { env: process.env, print: (text) => process.stdout.write(`${text}\n`) });

// conformance
addConformanceCommand(program, {
  env: process.env,
  print: (text) => process.stdout.write(`${text}\n`),
  setExitCode: (code) => {
    process.exitCode = code;
  },
});

function pick(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
}

program.parseAsync(process.argv).catch(fail);
