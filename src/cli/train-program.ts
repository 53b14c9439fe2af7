/**
 * The commands that go from data to a served model on the command line (train, predict, demo):
 * parses their arguments with commander, builds the configuration, calls the command function
 * and prints a report for people or JSON for scripts. main.ts adds them to the program and
 * handles errors and exit codes.
 */
import type { Writable } from 'node:stream';
import { type Command, Option } from 'commander';
import type { Logger } from 'pino';
import type { Config, ConfigInput, ConfigPurpose } from '../core/config.js';
import type { AlgorithmChoice, ClassWeight, Task } from '../train/index.js';
import { demo } from './commands/demo.js';
import { predictCommand } from './commands/predict.js';
import { trainCommand } from './commands/train.js';
import { loadStoreConfig } from './load-config.js';
import { type StoreFlags, storeOptions } from './store-options.js';
import { type ProgressStream, createTrainProgress } from './train-progress.js';
import { renderPredictResult, renderTrainResult } from './train-output.js';
import { collect, integer, tag } from './option-parsers.js';

/** What these commands need from the entry point. */
export interface TrainProgramContext {
  /** The environment, for BERTH_* settings; only main.ts reads process.env. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Writes a line (or lines) to standard output. */
  readonly print: (text: string) => void;
  /** Standard output as a stream, for CSV written there. */
  readonly stdout: Writable;
  /** Standard error: progress, and notes that must not mix with CSV on standard output. */
  readonly stderr: ProgressStream;
  /** The logger a server started by `berth demo` logs to. */
  readonly createLogger: (config: Config) => Logger;
  readonly version: string;
  /** Runs `handler` once when the process gets `signal`. */
  readonly onSignal: (signal: 'SIGINT' | 'SIGTERM', handler: () => void) => void;
  /** Ends the process. */
  readonly exit: (code: number) => void;
}

/** Registers `train`, `predict` and `demo` on `program`. */
export function addTrainCommands(program: Command, context: TrainProgramContext): void {
  const config = (flags: StoreFlags, more: ConfigInput = {}, purpose: ConfigPurpose = {}): Config => loadStoreConfig(flags, context.env, more, purpose);
  // Each of these commands says what its own --json prints.
  const withStore = (command: Command): Command => storeOptions(command, { json: false });

  withStore(
    program
      .command('train')
      .description('Train a model on a CSV file (schema inferred, linear and gradient-boosted trees tried), package it as a bundle, optionally register it.')
      .argument('<data.csv>', 'training data with a header row')
      .requiredOption('--target <column>', 'the column to predict')
      .addOption(new Option('--task <task>', 'what to learn (default: auto, from the target)').choices(['auto', 'classification', 'regression']))
      .addOption(new Option('--algorithm <algorithm>', 'trainer (default: auto, the better on validation)').choices(['auto', 'linear', 'gbdt']))
      .option('--name <name>', 'model name (default: the file name without .csv)')
      .option('--delimiter <char>', 'field separator of the CSV (default: detected from the header row: comma, semicolon, tab or pipe)')
      .option('--seed <n>', 'seed of the train/validation split (default 0)', integer)
      .option('--validation <data.csv>', 'validate on this file (same columns) instead of a random 20% of the training rows')
      .option('--folds <k>', 'k-fold cross-validation (2 to 20 folds) instead of one held-out split, for small data; the model is refitted on every row', integer)
      .addOption(new Option('--class-weight <weights>', 'balanced: weigh rare classes up so each class counts alike (default: none)').choices(['none', 'balanced']))
      .option('--strict', 'the schema refuses unseen categories and numbers outside the training range (default: answer them with a warning)')
      .option('-o, --out <dir>', 'bundle folder to write (default ./<name>.bundle; none when registering)')
      .option('--register', 'add the bundle to the registry as a new version')
      .option('--alias <alias>', 'point this alias at the new version (implies --register); repeat for more', collect)
      .option('--description <text>', 'what the model is for')
      .option('--tag <key=value>', 'a tag of the bundle; repeat for more', tag)
      .option('--keep-data', 'keep the CSV (and the --validation file) in the blob store as the version\'s training data, so `berth retrain` can start from it (needs --register; default: config training.keepData)')
      .option('--no-keep-data', 'do not keep the training data, whatever the config says')
      .option('--json', 'print JSON for scripts instead of a report'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  berth train loans.csv --target defaulted\n  berth train loans.csv --target defaulted --register --alias production\n  berth train houses.csv --target price --algorithm gbdt -o bundles/houses\n  berth train fraud.csv --target fraud --class-weight balanced --validation fraud-2024.csv\n  berth train patients.csv --target outcome --folds 5\n',
    )
    .action(async (data: string, opts: StoreFlags & Record<string, unknown>) => {
      const progress = createTrainProgress(context.stderr);
      try {
        const result = await trainCommand({
          config: config(opts),
          data,
          target: opts.target as string,
          delimiter: opts.delimiter as string | undefined,
          task: opts.task as Task | 'auto' | undefined,
          algorithm: opts.algorithm as AlgorithmChoice | undefined,
          name: opts.name as string | undefined,
          seed: opts.seed as number | undefined,
          validation: opts.validation as string | undefined,
          classWeight: opts.classWeight as ClassWeight | undefined,
          folds: opts.folds as number | undefined,
          strict: opts.strict as boolean | undefined,
          out: opts.out as string | undefined,
          register: opts.register as boolean | undefined,
          aliases: opts.alias as string[] | undefined,
          description: opts.description as string | undefined,
          tags: opts.tag as Record<string, string> | undefined,
          keepData: opts.keepData as boolean | undefined,
          onProgress: (p) => progress.update(p),
        });
        progress.stop();
        context.print(opts.json ? JSON.stringify(result, null, 2) : renderTrainResult(result));
      } finally {
        progress.stop();
      }
    });

  withStore(
    program
      .command('predict')
      .description('Score a CSV file with a registered model: one output row per input row, in order (prediction, and probability_<label> per label).')
      .argument('<model>', 'model (its production version, else its latest), model@alias or model:version')
      .argument('<data.csv>', 'rows of named features with a header row')
      .option('-o, --output <file.csv>', 'CSV file to write (default: standard output)')
      .option('--keep-input', 'copy the input columns in front of the predictions')
      .option('--url <url>', 'score through the berth server at this URL (batched) instead of in this process')
      .option('--token <token>', 'bearer token for --url (env BERTH_TOKEN)')
      .option('--delimiter <char>', 'field separator of the CSV (default: detected from the header row: comma, semicolon, tab or pipe)')
      .option('--json', 'print a JSON summary instead of a line (with -o)'),
  )
    .addHelpText('after', '\nExamples:\n  berth predict loans@production applicants.csv -o scored.csv\n  berth predict loans:3 applicants.csv --keep-input | head\n  berth predict --url http://berth.internal:8080 loans applicants.csv -o scored.csv\n')
    .action(async (model: string, data: string, opts: StoreFlags & { output?: string; keepInput?: boolean; delimiter?: string; url?: string; token?: string; json?: boolean }) => {
      const progress = opts.url !== undefined ? createTrainProgress(context.stderr, 'scoring') : undefined;
      let result: Awaited<ReturnType<typeof predictCommand>>;
      try {
        result = await predictCommand({
          config: config(opts),
          model,
          data,
          output: opts.output,
          keepInput: opts.keepInput,
          delimiter: opts.delimiter,
          url: opts.url,
          token: opts.token ?? context.env.BERTH_TOKEN,
          stdout: context.stdout,
          onProgress: progress && ((scored, total) => progress.update({ stage: 'score', fraction: scored / total, message: `${scored} of ${total} rows` })),
        });
      } finally {
        progress?.stop();
      }
      // Without -o the CSV is on standard output; the summary must not mix with it.
      const summary = opts.json ? JSON.stringify(result, null, 2) : renderPredictResult(result);
      if (result.output === null) context.stderr.write(`${summary}\n`);
      else context.print(summary);
    });

  withStore(
    program
      .command('demo')
      .description('Train a model on the bundled loans data, register it as loans@production, serve the registry and print requests to try.')
      .option('--host <host>', 'interface to listen on (env BERTH_HOST)')
      .option('--port <port>', 'port to listen on; 0 picks a free port (env BERTH_PORT)', integer)
      .addOption(
        new Option('--log-level <level>', 'log level (env BERTH_LOG_LEVEL)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
      ),
  ).action(async (opts: StoreFlags & { host?: string; port?: number; logLevel?: string }) => {
    const server: Record<string, unknown> = {};
    if (opts.host !== undefined) server.host = opts.host;
    if (opts.port !== undefined) server.port = opts.port;
    // The demo serves the registry, and with it the management API.
    const settings = config(opts, { server, ...(opts.logLevel ? { log: { level: opts.logLevel } } : {}) } as ConfigInput, { managementApi: true });
    const logger = context.createLogger(settings);
    const progress = createTrainProgress(context.stderr);
    let running: Awaited<ReturnType<typeof demo>>;
    try {
      running = await demo({ config: settings, logger, version: context.version, print: context.print, onProgress: (p) => progress.update(p) });
    } finally {
      progress.stop();
    }
    const stop = (signal: string): void => {
      logger.info({ signal }, 'shutting down: finishing requests in flight');
      running.server.close().then(
        () => context.exit(0),
        (error: unknown) => {
          context.stderr.write(`berth: could not shut down cleanly: ${error instanceof Error ? error.message : String(error)}\n`);
          context.exit(1);
        },
      );
    };
    context.onSignal('SIGTERM', () => stop('SIGTERM'));
    context.onSignal('SIGINT', () => stop('SIGINT'));
  });
}
