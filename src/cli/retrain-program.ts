/**
 * Retraining on the command line: `berth retrain <model> --now [--promote manual|rollout|auto]
 * [--since 7d] [--wait] [--json]`, `berth retrain <model> --policy …` and `berth retrain <model>`.
 * main.ts adds it to the program and handles errors and exit codes.
 */
import { type Command, Option } from 'commander';
import type { Config } from '../core/config.js';
import { Errors } from '../core/errors.js';
import { PROMOTIONS, type Promotion, type RetrainPolicyInput } from '../core/retrain-policy.js';
import type { RetrainPolicyRecord } from '../app/retraining/retraining.js';
import type { TrainingJob } from '../app/training-jobs.js';
import type { LabelledRowSource } from '../monitor/index.js';
import type { Registry } from '../registry/index.js';
import { retrainNowCommand, retrainPolicyCommand, retrainStatusCommand } from './commands/retrain.js';
import { loadStoreConfig } from './load-config.js';
import { collect } from './option-parsers.js';

/** What the retrain command needs from the entry point. */
export interface RetrainProgramContext {
  /** The environment, for BERTH_* settings; only main.ts reads process.env. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Writes a line (or lines) to standard output. */
  readonly print: (text: string) => void;
  /** Ends the process with this code (a job followed with --wait that failed exits 1). */
  readonly exit: (code: number) => void;
  /** The labelled traffic this process can read (the payload log), if any. */
  readonly labelled?: (registry: Registry, config: Config) => LabelledRowSource | undefined;
}

interface RetrainFlags {
  readonly home?: string;
  readonly database?: string;
  readonly blobs?: string;
  readonly config?: string;
  readonly json?: boolean;
  readonly now?: boolean;
  readonly wait?: boolean;
  readonly promote?: Promotion;
  readonly since?: string;
  readonly policy?: boolean;
  readonly clear?: boolean;
  readonly every?: string;
  readonly cron?: string;
  readonly onDrift?: boolean;
  readonly newRows?: string;
  readonly margin?: string;
  readonly minRows?: string;
  readonly holdout?: string;
  readonly seed?: string;
  readonly algorithm?: string;
  readonly steps?: string;
  readonly bake?: string;
  readonly interval?: string;
  readonly minRequests?: string;
  readonly guard?: string[];
}

/** Registers `retrain` on `program`. */
export function addRetrainCommand(program: Command, context: RetrainProgramContext): void {
  program
    .command('retrain')
    .description(
      'Retrain a model on its original training data plus its labelled traffic, judge the challenger against the champion on the same recent rows, and promote it by the policy. ' +
        'Without --now or --policy, shows the policy and the retraining jobs.',
    )
    .argument('<model>', 'model name')
    .option('--now', 'retrain at once (queued for a trainer; --wait follows it)')
    .addOption(new Option('--promote <how>', 'a better challenger: manual (register, wait), rollout (shadow first, under guards), auto (production at once); default the policy\'s, else manual').choices([...PROMOTIONS]))
    .option('--since <duration>', 'window of labelled traffic to learn from, back from now (default the policy\'s, else 7d)')
    .option('--wait', 'with --now: follow the job to its end and print the challenger, its evaluation and the decision; exit 1 if the job failed')
    .option('--policy', 'set the model\'s retraining policy from the options below (and --promote, --since)')
    .option('--clear', 'with --policy: remove the policy (the model then retrains only by hand)')
    .option('--every <duration>', 'policy trigger: retrain every so long (1d), counted from the last retraining')
    .option('--cron <schedule>', 'policy trigger: retrain on a cron schedule, UTC ("0 3 * * *")')
    .option('--on-drift', 'policy trigger: retrain when a drift alert starts firing for the model')
    .option('--new-rows <n>', 'policy trigger: retrain once this many new labelled rows have arrived')
    .option('--margin <x>', 'how much better counts as better on recent rows (log loss for classifiers, R² for regressors; default 0.005)')
    .option('--min-rows <n>', 'fewest labelled rows a retraining needs (default 100)')
    .option('--holdout <share>', 'share of the labelled rows held out to judge on (default 0.3)')
    .option('--seed <n>', 'seed of the splits (default 0)')
    .addOption(new Option('--algorithm <algorithm>', 'override the champion\'s trainer').choices(['auto', 'linear', 'gbdt']))
    .option('--steps <steps>', 'rollout steps for --promote rollout (default shadow,10,50,100)')
    .option('--bake <duration>', 'rollout: how long each step is held (default 5m)')
    .option('--interval <duration>', 'rollout: how often guards are checked (default 10s)')
    .option('--min-requests <n>', 'rollout: requests a step needs before it may pass (default 100)')
    .option('--guard <guard>', 'rollout guard, repeatable (default error_rate<0.01)', collect)
    .option('--home <dir>', 'BERTH_HOME: where berth.db and blobs/ live (env BERTH_HOME, default ./.berth)')
    .option('--database <url>', 'metadata database: postgres://… (env BERTH_DATABASE_URL; default BERTH_HOME/berth.db)')
    .option('--blobs <url>', 'blob store: s3://bucket/prefix or a folder (env BERTH_BLOBS; default BERTH_HOME/blobs)')
    .option('--config <file>', 'JSON config file (env BERTH_CONFIG)')
    .option('--json', 'print JSON for scripts')
    .addHelpText(
      'after',
      '\nExamples:\n  berth retrain loans --now --wait\n  berth retrain loans --now --since 14d --promote rollout --json\n' +
        '  berth retrain loans --policy --every 1d --on-drift --new-rows 5000 --promote rollout --guard "error_rate<0.01"\n  berth retrain loans --policy --clear\n  berth retrain loans\n',
    )
    .action(async (model: string, opts: RetrainFlags) => {
      checkFlags(opts);
      const config = loadStoreConfig(opts, context.env);
      const labelled = context.labelled ? (registry: Registry) => context.labelled!(registry, config) : undefined;
      if (opts.now) {
        let shown = '';
        const job = await retrainNowCommand({
          config,
          model,
          since: opts.since,
          promote: opts.promote,
          labelled,
          wait: opts.wait
            ? (next) => {
                // Progress lines for people; --json prints the finished job only.
                const line = `${next.state} ${Math.round(next.progress.fraction * 100)}% ${next.progress.message}`;
                if (!opts.json && line !== shown && next.state !== 'succeeded' && next.state !== 'failed') context.print(line);
                shown = line;
              }
            : undefined,
        });
        context.print(opts.json ? JSON.stringify(job, null, 2) : opts.wait ? renderFinished(job) : `Queued retraining ${job.id} of ${model} from v${job.retrain!.champion}. Follow it with berth retrain ${model}.`);
        if (opts.wait && job.state === 'failed') context.exit(1);
        return;
      }
      if (opts.policy) {
        const record = await retrainPolicyCommand({ config, model, policy: opts.clear ? 'clear' : policyOf(opts) });
        if (opts.json) context.print(JSON.stringify(record, null, 2));
        else context.print(opts.clear ? `Removed the retraining policy of ${model}${record ? '' : ' (it had none)'}.` : renderPolicy(record!));
        return;
      }
      const status = await retrainStatusCommand({ config, model });
      context.print(opts.json ? JSON.stringify(status, null, 2) : [status.policy ? renderPolicy(status.policy) : `${model} has no retraining policy: it retrains by hand (berth retrain ${model} --now).`, ...status.jobs.slice(0, 10).map(jobLine)].join('\n'));
    });
}

/** Flags that only set a policy, by their name on the command line. */
const POLICY_FLAGS: readonly (readonly [keyof RetrainFlags, string])[] = [
  ['clear', '--clear'],
  ['every', '--every'],
  ['cron', '--cron'],
  ['onDrift', '--on-drift'],
  ['newRows', '--new-rows'],
  ['margin', '--margin'],
  ['minRows', '--min-rows'],
  ['holdout', '--holdout'],
  ['seed', '--seed'],
  ['algorithm', '--algorithm'],
  ['steps', '--steps'],
  ['bake', '--bake'],
  ['interval', '--interval'],
  ['minRequests', '--min-requests'],
  ['guard', '--guard'],
];

/**
 * Refuses flags that would be ignored: a policy's settings without --policy, --wait without
 * --now, and --now with --policy. Throws BERTH_RETRAIN_POLICY_INVALID.
 */
function checkFlags(opts: RetrainFlags): void {
  if (opts.now && opts.policy) throw Errors.RETRAIN_POLICY_INVALID.create('--now', 'it retrains once and --policy sets the policy; run them as two commands');
  if (opts.wait && !opts.now) throw Errors.RETRAIN_POLICY_INVALID.create('--wait', 'it follows a retraining started with --now; add --now');
  if (!opts.policy) {
    const given = POLICY_FLAGS.find(([key]) => opts[key] !== undefined && opts[key] !== false);
    if (given) throw Errors.RETRAIN_POLICY_INVALID.create(given[1], `it sets the model's policy; add --policy (berth retrain <model> --policy ${given[1]} …)`);
  }
}

/** A policy from the flags; only what was given (the rest takes its defaults). */
function policyOf(opts: RetrainFlags): RetrainPolicyInput {
  const number = (text: string | undefined): number | undefined => (text === undefined ? undefined : Number(text));
  const triggers = {
    ...(opts.every !== undefined ? { every: opts.every } : {}),
    ...(opts.cron !== undefined ? { cron: opts.cron } : {}),
    ...(opts.onDrift ? { onDrift: true } : {}),
    ...(opts.newRows !== undefined ? { newLabelledRows: number(opts.newRows) } : {}),
  };
  const rollout = {
    ...(opts.steps !== undefined ? { steps: opts.steps } : {}),
    ...(opts.bake !== undefined ? { bake: opts.bake } : {}),
    ...(opts.interval !== undefined ? { interval: opts.interval } : {}),
    ...(opts.minRequests !== undefined ? { minRequests: opts.minRequests } : {}),
    ...(opts.guard !== undefined ? { guards: opts.guard } : {}),
  };
  return {
    triggers,
    ...(opts.since !== undefined ? { since: opts.since } : {}),
    ...(opts.promote !== undefined ? { promote: opts.promote } : {}),
    ...(opts.margin !== undefined ? { margin: number(opts.margin) } : {}),
    ...(opts.minRows !== undefined ? { minRows: number(opts.minRows) } : {}),
    ...(opts.holdout !== undefined ? { holdout: number(opts.holdout) } : {}),
    ...(opts.seed !== undefined ? { seed: number(opts.seed) } : {}),
    ...(opts.algorithm !== undefined ? { algorithm: opts.algorithm as 'auto' | 'linear' | 'gbdt' } : {}),
    ...(Object.keys(rollout).length > 0 ? { rollout } : {}),
  } as RetrainPolicyInput;
}

/** A finished job: the challenger, its evaluation and the decision (or the error). */
export function renderFinished(job: TrainingJob): string {
  if (job.state === 'failed') return `Retraining ${job.id} failed: ${job.error?.error ?? 'no reason given'} (${job.error?.code ?? ''})`;
  const outcome = job.result?.retrain;
  if (!outcome) return `Retraining ${job.id} ${job.state}.`;
  const figure = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : v.toFixed(4));
  const metrics = Object.keys(outcome.evaluation.table[0]?.challenger ?? {});
  const lines = [
    `Challenger: ${job.retrain!.model}:${outcome.challenger} (parent v${outcome.parent}, trigger ${job.retrain!.trigger.kind})`,
    `Evaluation (${outcome.evaluation.metric} decides):`,
    `  rows              ${metrics.map((m) => m.padStart(21)).join('')}`,
    ...outcome.evaluation.table.map((row) =>
      [
        `  ${`${row.rows} (${row.count})`.padEnd(18)}${metrics.map((m) => `${figure(row.challenger[m])} vs ${figure(row.champion[m])}`.padStart(21)).join('')}`,
      ].join(''),
    ),
    '  (challenger vs champion)',
    ...outcome.evaluation.table.flatMap((row) => (row.rowsHow !== undefined ? [`  The ${row.rows} rows: ${row.rowsHow}`] : [])),
    // A champion refitted on every row has seen its original rows: the verdict uses training's figures.
    ...outcome.evaluation.table.flatMap((row) =>
      row.championRecorded
        ? [`  Champion on the ${row.rows} rows ${row.championRecordedHow ?? 'as training recorded it'}: ${metrics.map((m) => `${m} ${figure(row.championRecorded![m])}`).join(', ')} (the verdict's baseline)`]
        : [],
    ),
    `Decision: ${outcome.decision}: ${outcome.reason}`,
  ];
  return lines.join('\n');
}

function renderPolicy(record: RetrainPolicyRecord): string {
  const { policy, state } = record;
  const triggers = [
    policy.triggers.every ? `every ${policy.triggers.every}` : undefined,
    policy.triggers.cron ? `cron "${policy.triggers.cron}" (UTC)` : undefined,
    policy.triggers.onDrift ? 'on a drift alert' : undefined,
    policy.triggers.newLabelledRows ? `after ${policy.triggers.newLabelledRows} new labelled rows` : undefined,
  ].filter((t) => t !== undefined);
  return [
    `Retraining policy of ${record.model}: ${triggers.length ? triggers.join(', ') : 'by hand only'}; window ${policy.since}; promote ${policy.promote} (margin ${policy.margin}, min ${policy.minRows} rows)`,
    ...(state.lastRun ? [`Last retraining queued ${state.lastRun}${state.lastJob ? ` (job ${state.lastJob})` : ''}`] : []),
    ...(state.lastError ? [`Last trigger error ${state.lastError.at}: ${state.lastError.error} (${state.lastError.code})`] : []),
  ].join('\n');
}

function jobLine(job: TrainingJob): string {
  const outcome = job.result?.retrain;
  const what = outcome ? `v${outcome.challenger}: ${outcome.decision}` : job.error ? `${job.error.code}` : `${Math.round(job.progress.fraction * 100)}% ${job.progress.message}`;
  return `${job.created}  ${job.id}  ${job.retrain?.trigger.kind ?? ''}  ${job.state}  ${what}`;
}
