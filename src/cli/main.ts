#!/usr/bin/env node
/**
 * The `berth` command line: parses argv, builds the configuration, calls the command function,
 * and turns its outcome into an exit code. The only module that reads process.env or exits.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import type { Config, ConfigInput } from '../core/config.js';
import { BerthError } from '../core/errors.js';
import { serve } from './commands/serve.js';
import { loadConfig } from './load-config.js';
import { berthVersion } from './package-info.js';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected an integer');
  return n;
}

function createLogger(config: Config) {
  // Logs are JSON lines on stderr; stdout carries the human-readable status lines.
  return pino({ level: config.log.level, base: { service: 'berth' } }, pino.destination(2));
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
  .description('Serve ONNX models over the Open Inference Protocol (REST) and KServe V1 until SIGTERM or SIGINT.')
  .argument('<model...>', 'path/to/model.onnx (named after the file) or name=path/to/model.onnx')
  .option('--host <host>', 'interface to listen on (env BERTH_HOST)', undefined)
  .option('--port <port>', 'port to listen on; 0 picks a free port (env BERTH_PORT)', integer)
  .option('--body-limit <bytes>', 'largest request body accepted (env BERTH_BODY_LIMIT)', integer)
  .option('--workers <n>', 'inference worker threads; 0 = one per core (env BERTH_WORKERS)', integer)
  .option('--intra-op-threads <n>', 'onnxruntime threads per session (env BERTH_INTRA_OP_THREADS)', integer)
  .addOption(
    new Option('--execution <mode>', 'where inference runs: auto, worker or inline (env BERTH_EXECUTION)').choices(['auto', 'worker', 'inline']),
  )
  .addOption(
    new Option('--log-level <level>', 'log level (env BERTH_LOG_LEVEL)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  )
  .option('--config <file>', 'JSON config file (env BERTH_CONFIG)')
  .addHelpText(
    'after',
    '\nExamples:\n  berth serve model.onnx\n  berth serve digits=models/mlp.onnx iris=models/iris.onnx --port 0\n',
  )
  .action(async (models: string[], opts: Record<string, unknown>) => {
    const flags: ConfigInput = {
      server: pick({ host: opts.host, port: opts.port, bodyLimit: opts.bodyLimit }),
      runtime: pick({ workers: opts.workers, intraOpThreads: opts.intraOpThreads, execution: opts.execution }),
      log: pick({ level: opts.logLevel }),
    } as ConfigInput;
    const config = loadConfig({ file: (opts.config as string | undefined) ?? process.env.BERTH_CONFIG, env: process.env, flags });
    const logger = createLogger(config);
    const server = await serve({ models, config, logger, version, print: (line) => process.stdout.write(`${line}\n`) });
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down: finishing requests in flight');
      server.close().then(
        () => process.exit(0),
        (error: unknown) => fail(error),
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

function pick(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
}

program.parseAsync(process.argv).catch(fail);
