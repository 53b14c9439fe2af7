/**
 * Rollouts and roll back on the command line: `berth rollout <model> <version>`, `berth rollout
 * status <model>`, `berth rollout abort <model>` and `berth rollback <model>`. Commands write the
 * registry's database, which every server follows (a rollout is stepped by whichever server holds
 * its lease); main.ts adds them to the program and handles errors and exit codes.
 */
import type { Command } from 'commander';
import type { Config } from '../core/config.js';
import { DEFAULT_ROLLOUT } from '../core/rollout-plan.js';
import { rollbackCommand } from './commands/rollback.js';
import { rolloutAbortCommand, rolloutStartCommand, rolloutStatusCommand } from './commands/rollout.js';
import { loadStoreConfig } from './load-config.js';
import { type RemoteFlags, type StoreFlags, remoteOf, remoteOptions, storeOptions } from './store-options.js';
import { collect } from './option-parsers.js';
import { eventLine, renderRollout, renderRollouts } from './rollout-output.js';

/** What the rollout commands need from the entry point. */
export interface RolloutProgramContext {
  /** The environment, for BERTH_* settings; only main.ts reads process.env. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Writes a line (or lines) to standard output. */
  readonly print: (text: string) => void;
  /** Ends the process with this code (a rollout followed with --wait that did not succeed exits 1). */
  readonly exit: (code: number) => void;
}

/** The store's options and the server's: rollouts work on either. */
function serverOptions(command: Command): Command {
  return remoteOptions(storeOptions(command));
}

/** Registers `rollout` (with `status` and `abort`) and `rollback` on `program`. */
export function addRolloutCommands(program: Command, context: RolloutProgramContext): void {
  const config = (flags: StoreFlags): Config => loadStoreConfig(flags, context.env);
  const remote = (flags: RemoteFlags) => remoteOf(flags, context.env);

  const rollout = program
    .command('rollout')
    .description(
      "Move a model's traffic from its production version (the champion) to a challenger in steps, under guards checked on the challenger's live figures; " +
        'a breached guard sends traffic back to the champion at once. Starts it on the servers and returns; --wait follows it to the end.',
    )
    // Starting is the hidden default command, so its usage is spelled out here where users look.
    .usage('<model> <version> [options] | status <model> | abort <model>')
    .addHelpText(
      'after',
      '\nStart a rollout:\n  berth rollout <model> <version> [--steps shadow,10,50,100] [--bake 5m] [--interval 10s] [--min-requests 100] [--guard "error_rate<0.01"]... [--wait] [--url URL] [--json]\n' +
        'Every start option is described by: berth rollout start --help',
    );

  serverOptions(
    rollout
      .command('start', { isDefault: true, hidden: true })
      .description('Start a rollout (the default: berth rollout <model> <version>).')
      .argument('<model>', 'model name')
      .argument('<version>', 'the challenger version')
      .option('--steps <steps>', `shadow first (copies of requests), then percentages of traffic to the challenger (default ${DEFAULT_ROLLOUT.steps})`)
      .option('--bake <duration>', `how long each step is held before it may pass (default ${DEFAULT_ROLLOUT.bake})`)
      .option('--interval <duration>', `how often the guards are checked (default ${DEFAULT_ROLLOUT.interval})`)
      .option('--min-requests <n>', `requests the challenger must answer in a step before it is judged and may pass (default ${DEFAULT_ROLLOUT.minRequests})`)
      .option('--guard <guard>', `what must hold, repeatable: error_rate<0.01, p99_ms<50, p99_ms<1.5x (the champion's), drift<0.1, disagreement<0.05 (default ${DEFAULT_ROLLOUT.guards.join(' ')})`, collect)
      .option('--wait', 'follow the rollout to its end; exit 1 unless it succeeds'),
  ).action(async (model: string, version: string, opts: StoreFlags & RemoteFlags & { steps?: string; bake?: string; interval?: string; minRequests?: string; guard?: string[]; wait?: boolean }) => {
    const record = await rolloutStartCommand({
      config: config(opts),
      model,
      version,
      steps: opts.steps,
      bake: opts.bake,
      interval: opts.interval,
      minRequests: opts.minRequests,
      guards: opts.guard,
      remote: remote(opts),
      wait: opts.wait ? (event) => context.print(opts.json ? JSON.stringify(event) : eventLine(event)) : undefined,
    });
    if (opts.json) context.print(JSON.stringify(record, null, 2));
    else if (!opts.wait) context.print(`Started rollout ${record.id} of ${model}: v${record.champion} → v${record.challenger} (${record.plan.steps.join(', ')}). Follow it with berth rollout status ${model}.`);
    else context.print(record.state === 'succeeded' ? `v${record.challenger} is production.` : `Rollout ${record.state.replace('_', ' ')}: ${record.reason ?? ''}`);
    if (opts.wait && record.state !== 'succeeded') context.exit(1);
  });

  serverOptions(
    rollout
      .command('status')
      .description("Show a model's latest rollout: its step, the latest check guard by guard, and its timeline.")
      .argument('<model>', 'model name')
      .option('--all', 'list every rollout of the model instead, newest first'),
  ).action(async (model: string, opts: StoreFlags & RemoteFlags & { all?: boolean }) => {
    const rollouts = await rolloutStatusCommand({ config: config(opts), model, all: opts.all, remote: remote(opts) });
    if (opts.json) context.print(JSON.stringify(opts.all ? rollouts : rollouts[0], null, 2));
    else context.print(opts.all ? renderRollouts(rollouts) : renderRollout(rollouts[0]!));
  });

  serverOptions(
    rollout
      .command('abort')
      .description("Abort a model's running rollout: every request goes back to the champion.")
      .argument('<model>', 'model name'),
  ).action(async (model: string, opts: StoreFlags & RemoteFlags) => {
    const record = await rolloutAbortCommand({ config: config(opts), model, remote: remote(opts) });
    context.print(opts.json ? JSON.stringify(record, null, 2) : `Aborted rollout ${record.id} of ${model}: traffic goes back to v${record.champion}.`);
  });

  serverOptions(
    program
      .command('rollback')
      .description("Point a model's production alias (or --alias) back at the version it served before, from the audit log; servers follow within two seconds.")
      .argument('<model>', 'model name')
      .option('--alias <alias>', 'the alias to roll back', 'production')
      .option('--reason <text>', 'why, for the audit log'),
  )
    .addHelpText('after', '\nExamples:\n  berth rollback digits\n  berth rollback digits --alias staging --reason "bad calibration"\n')
    .action(async (model: string, opts: StoreFlags & RemoteFlags & { alias: string; reason?: string }) => {
      const change = await rollbackCommand({ config: config(opts), model, alias: opts.alias, reason: opts.reason, remote: remote(opts) });
      context.print(opts.json ? JSON.stringify(change, null, 2) : `Rolled back ${change.model}@${change.alias}: version ${change.previous} → ${change.version}`);
    });
}
