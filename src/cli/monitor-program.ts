/**
 * The monitor's commands on the command line: `berth monitor <model>` (the drift table of recent
 * traffic, from the metadata database) and `berth drift reference.csv current.csv` (two files
 * compared offline by the same code). main.ts adds them to the program and handles errors and exit
 * codes.
 */
import { writeFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import type { ConfigInput } from '../core/config.js';
import { driftCommand } from './commands/drift.js';
import { monitorCommand } from './commands/monitor.js';
import { payloadsCommand } from './commands/payloads.js';
import { renderDriftHtml, renderDriftTable, renderOutliers } from './drift-output.js';
import { renderPerformance } from './performance-output.js';
import { loadConfig } from './load-config.js';
import { remoteOf } from './store-options.js';
import { formatDuration } from '../core/duration.js';

/** What the monitor commands need from the entry point. */
export interface MonitorProgramContext {
  /** The environment, for BERTH_* settings; only main.ts reads process.env. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Writes a line (or lines) to standard output. */
  readonly print: (text: string) => void;
}

const METHODS = ['ks', 'wasserstein', 'psi', 'jensenshannon', 'chisquare'];

/** A comma-separated list of names, repeatable: `--exclude a,b --exclude c`. */
function list(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter((s) => s !== '')];
}

/** Registers `monitor`, `payloads` and `drift` on `program`. */
export function addMonitorCommands(program: Command, context: MonitorProgramContext): void {
  program
    .command('payloads')
    .description("Export a model's payload log (inputs, prediction, and the truth sent as feedback) as CSV.")
    .argument('<model>', 'model name')
    .requiredOption('-o, --output <file>', 'the CSV file to write')
    .option('--since <duration>', 'how far back: 1h, 7d …, or an ISO time', '7d')
    .option('--labelled', 'only rows whose truth came as feedback')
    .option('--home <dir>', 'BERTH_HOME (env BERTH_HOME, default ./.berth)')
    .option('--database <url>', 'metadata database: postgres://… or sqlite:file (env BERTH_DATABASE_URL; default BERTH_HOME/berth.db)')
    .option('--blobs <url>', 'blob store the log segments are in: s3://bucket/prefix or a folder (env BERTH_BLOBS)')
    .option('--config <file>', 'JSON config file (env BERTH_CONFIG)')
    .option('--url <url>', 'export from this running berth server (GET /api/models/<model>/payloads) instead of the database and blob store')
    .option('--token <token>', 'bearer token for --url: the admin token or an API key with scope read (env BERTH_TOKEN)')
    .addHelpText(
      'after',
      '\nThe payload log is off by default: serve with --payloads <share> (env BERTH_MONITOR_PAYLOAD_RATE).\n\nExamples:\n  berth payloads loans --since 7d -o loans.csv\n  berth payloads loans --labelled -o labelled.csv\n  berth payloads loans --url http://localhost:8080 -o loans.csv\n',
    )
    .action(async (model: string, opts: { output: string; since: string; labelled?: boolean; home?: string; database?: string; blobs?: string; config?: string; url?: string; token?: string }) => {
      const store: Record<string, unknown> = {};
      if (opts.home !== undefined) store.home = opts.home;
      if (opts.database !== undefined) store.databaseUrl = opts.database;
      if (opts.blobs !== undefined) store.blobs = opts.blobs;
      const config = loadConfig({ file: opts.config ?? context.env.BERTH_CONFIG, env: context.env, flags: { store } as ConfigInput });
      const done = await payloadsCommand({ config, model, since: opts.since, labelled: opts.labelled, output: opts.output, ...remoteOf(opts, context.env) });
      context.print(`Wrote ${done.rows} rows of ${done.model} (${done.labelled} with the truth) logged from ${done.from} to ${done.to} to ${done.output}`);
    });
  program
    .command('monitor')
    .description("Print the drift table of a model's recent traffic against its reference profile, its outliers, and its performance realized from feedback beside the performance estimated without labels (reads the metadata database).")
    .argument('<model>', 'model name')
    .option('--since <duration>', 'how far back: 30m, 1h, 7d …', '24h')
    .option('--version <n>', 'one version (default: the one that served the range)')
    .addOption(new Option('--method <method>', 'one drift method for every feature it applies to').choices(METHODS))
    .option('--home <dir>', 'BERTH_HOME: where berth.db lives (env BERTH_HOME, default ./.berth)')
    .option('--database <url>', 'metadata database: postgres://… (env BERTH_DATABASE_URL; default BERTH_HOME/berth.db)')
    .option('--config <file>', 'JSON config file (env BERTH_CONFIG)')
    .option('--columns <names>', 'compare only these features, comma-separated', list)
    .option('--exclude <names>', 'leave these features out, comma-separated', list)
    .option('--url <url>', 'ask this running berth server, whose report includes the window still in its memory')
    .option('--token <token>', 'bearer token for --url (env BERTH_TOKEN)')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExamples:\n  berth monitor loans\n  berth monitor loans --since 1h --json\n  berth monitor loans --url http://localhost:8080 --exclude region\n')
    .action(
      async (
        model: string,
        opts: { since: string; version?: string; method?: string; columns?: string[]; exclude?: string[]; url?: string; token?: string; home?: string; database?: string; config?: string; json?: boolean },
      ) => {
        const store: Record<string, unknown> = {};
        if (opts.home !== undefined) store.home = opts.home;
        if (opts.database !== undefined) store.databaseUrl = opts.database;
        const config = loadConfig({ file: opts.config ?? context.env.BERTH_CONFIG, env: context.env, flags: { store } as ConfigInput });
        const report = await monitorCommand({
          config,
          model,
          since: opts.since,
          version: opts.version,
          method: opts.method,
          columns: opts.columns,
          exclude: opts.exclude,
          url: opts.url,
          token: opts.token ?? context.env.BERTH_TOKEN,
        });
        if (opts.json) {
          context.print(JSON.stringify(report, null, 2));
          return;
        }
        const table = renderDriftTable(report, { title: `Drift of ${report.model} version ${report.version}`, range: `${report.from} to ${report.to}` });
        // Windows are written when they close: say what the database cannot show yet, and how to see it.
        const pending = report.pending
          ? `\nTraffic of the current window is still in the servers' memory: it is written when the window closes at ${report.pending.windowCloses} (windows last ${formatDuration(report.pending.windowMs)}). Add --url http://host:port to include it from a running server.`
          : '';
        context.print(`${table}\n${renderOutliers(report.outliers)}\n\n${renderPerformance(report.performance)}${pending}`);
      },
    );

  program
    .command('drift')
    .description('Compare a current data set with a reference one (CSV files with a header row) and report drift per column.')
    .argument('<reference.csv>', 'the reference data, e.g. what the model was trained on')
    .argument('<current.csv>', 'the data to check, e.g. recent production inputs')
    .addOption(new Option('--format <format>', 'table, json or html (a self-contained page)').choices(['table', 'json', 'html']).default('table'))
    .option('--target <column>', 'a column compared as the prediction (prediction drift) rather than as a feature')
    .addOption(new Option('--method <method>', 'one drift method for every column it applies to').choices(METHODS))
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .option('--delimiter <char>', 'field separator of both CSV files (default: detected from each header row: comma, semicolon, tab or pipe)')
    .option('--columns <names>', 'compare only these columns, comma-separated (identifiers, dates and free text are always left out, and listed)', list)
    .option('--exclude <names>', 'leave these columns out, comma-separated', list)
    .addHelpText('after', '\nExamples:\n  berth drift train.csv last-week.csv\n  berth drift train.csv last-week.csv --target defaulted --format html -o drift.html\n  berth drift train.csv last-week.csv --exclude region,channel\n')
    .action(async (reference: string, current: string, opts: { format: 'table' | 'json' | 'html'; target?: string; method?: string; output?: string; delimiter?: string; columns?: string[]; exclude?: string[] }) => {
      const result = await driftCommand({ reference, current, target: opts.target, method: opts.method as never, delimiter: opts.delimiter, columns: opts.columns, exclude: opts.exclude });
      const heading = { title: `Drift of ${current} against ${reference}` };
      const text =
        opts.format === 'json'
          ? JSON.stringify({ ...result.report, files: result.files, ignored: result.ignored, skipped: result.skipped }, null, 2)
          : opts.format === 'html'
            ? renderDriftHtml({ report: result.report, reference: result.reference, current: result.current, heading, generated: new Date().toISOString() })
            : renderDriftTable(result.report, heading) +
              result.skipped.map((c) => `\nNot compared: ${c.name} (${c.reason})`).join('') +
              (result.ignored.length ? `\nNot in the reference, not compared: ${result.ignored.join(', ')}` : '');
      if (opts.output !== undefined) {
        await writeFile(opts.output, text);
        context.print(`Wrote the ${opts.format} report to ${opts.output}`);
      } else {
        context.print(text);
      }
    });
}
