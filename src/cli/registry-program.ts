/**
 * The registry's commands on the command line (package, register, models, versions, alias, show,
 * delete, export, import, audit; traffic, shadow and deployment for deployments): parses their arguments with commander, builds the
 * configuration, calls the command function and prints a table for people or JSON for scripts.
 * main.ts adds them to the program and handles errors and exit codes.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Config } from '../core/config.js';
import { aliasCommand } from './commands/alias.js';
import { auditCommand } from './commands/audit.js';
import { deleteCommand } from './commands/delete.js';
import { deploymentCommand, shadowCommand, trafficCommand } from './commands/deployment.js';
import { renderDeploymentChange, renderDeploymentStatus } from './deployment-output.js';
import { EXPORT_TARGETS, exportCommand } from './commands/export.js';
import { importCommand } from './commands/import.js';
import { modelsCommand } from './commands/models.js';
import { packageCommand } from './commands/package.js';
import { registerCommand } from './commands/register.js';
import { showCommand } from './commands/show.js';
import { versionsCommand } from './commands/versions.js';
import { loadStoreConfig } from './load-config.js';
import { type RemoteFlags, type StoreFlags, remoteOf, remoteOptions, storeOptions } from './store-options.js';
import { collect, tag, wholeNumber } from './option-parsers.js';
import {
  formatBytes,
  renderAliasChange,
  renderAliases,
  renderAudit,
  renderDeleted,
  renderModelDetail,
  renderModels,
  renderRegistered,
  renderSignature,
  renderVersionDetail,
  renderVersions,
  shortDigest,
} from './registry-output.js';

/** What the registry commands need from the entry point. */
export interface RegistryProgramContext {
  /** The environment, for BERTH_* settings; only main.ts reads process.env. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Writes a line (or lines) to standard output. */
  readonly print: (text: string) => void;
}

/** The store's options and the server's: the deployment commands work on either. */
function serverOptions(command: Command): Command {
  return remoteOptions(storeOptions(command));
}

/** Registers the registry commands on `program`. */
export function addRegistryCommands(program: Command, context: RegistryProgramContext): void {
  const config = (flags: StoreFlags): Config => loadStoreConfig(flags, context.env);
  const remote = (flags: RemoteFlags) => remoteOf(flags, context.env);
  const out = (flags: StoreFlags, data: unknown, human: () => string): void => {
    context.print(flags.json ? JSON.stringify(data, null, 2) : human());
  };

  program
    .command('package')
    .description('Package an ONNX file as a bundle folder (berth.json + files), ready to register or copy.')
    .argument('<model.onnx>', 'the ONNX model file')
    .option('--name <name>', 'model name (default: the file name without .onnx)')
    .option('-o, --out <dir>', 'bundle folder to create (default: ./<name>)')
    .option('--description <text>', 'what the model is for')
    .option('--tag <key=value>', 'a tag; repeat for more', tag)
    .option('--schema <file.json>', 'feature schema to carry')
    .option('--pipeline <file.json>', 'pipeline to carry')
    .option('--profile <file.json>', 'reference profile to carry')
    .addOption(new Option('--reference <data.csv>', "profile this CSV as the model's reference data (instead of --profile)").conflicts('profile'))
    .option('--target <column>', "with --reference: the CSV's column of true labels, to measure a classifier's calibration (default: the pipeline's target)")
    .option('--metrics <file.json>', 'metrics to carry ({"name": number})')
    .option('--lineage <file.json>', 'lineage to carry')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  berth package mlp.onnx --name digits -o bundles/digits --tag team=vision\n')
    .action(async (model: string, opts: Record<string, unknown> & StoreFlags) => {
      const result = await packageCommand({
        model,
        name: opts.name as string | undefined,
        out: opts.out as string | undefined,
        description: opts.description as string | undefined,
        tags: opts.tag as Record<string, string> | undefined,
        schemaFile: opts.schema as string | undefined,
        pipelineFile: opts.pipeline as string | undefined,
        profileFile: opts.profile as string | undefined,
        metricsFile: opts.metrics as string | undefined,
        lineageFile: opts.lineage as string | undefined,
        referenceFile: opts.reference as string | undefined,
        target: opts.target as string | undefined,
      });
      out(opts, result, () => `Packaged ${result.name} in ${result.dir} (${result.digest}, ${formatBytes(result.size)})\n\n${renderSignature(result.signature)}`);
    });

  storeOptions(
    program
      .command('register')
      .description('Register a bundle folder, a .onnx file or a .berth archive as a new version of a model; prints the version.')
      .argument('<source>', 'bundle folder, model.onnx or file.berth')
      .option('--name <name>', "model name (default: the bundle's name or the file name)")
      .option('--alias <alias>', 'point this alias at the version; repeat for more', collect)
      .option('--tag <key=value>', 'a tag on the version; repeat for more', tag)
      .option('--description <text>', 'description, when registering a plain .onnx file')
      .option('--reference <data.csv>', "profile this CSV as the model's reference data (the bundle is packaged again with it)")
      .option('--target <column>', "with --reference: the CSV's column of true labels, to measure a classifier's calibration (default: the pipeline's target)"),
  )
    .addHelpText('after', '\nExamples:\n  berth register mlp.onnx --name digits --alias staging\n  berth register bundles/digits --alias production\n')
    .action(async (path: string, opts: Record<string, unknown> & StoreFlags) => {
      const result = await registerCommand({
        config: config(opts),
        path,
        name: opts.name as string | undefined,
        aliases: opts.alias as string[] | undefined,
        tags: opts.tag as Record<string, string> | undefined,
        description: opts.description as string | undefined,
        referenceFile: opts.reference as string | undefined,
        target: opts.target as string | undefined,
      });
      out(opts, result, () => renderRegistered(result));
    });

  storeOptions(program.command('models').description('List the registered models.')).action(async (opts: StoreFlags) => {
    const models = await modelsCommand({ config: config(opts) });
    out(opts, models, () => renderModels(models));
  });

  storeOptions(program.command('versions').description("List a model's versions.").argument('<model>', 'model name')).action(
    async (model: string, opts: StoreFlags) => {
      const versions = await versionsCommand({ config: config(opts), model });
      out(opts, versions, () => renderVersions(model, versions));
    },
  );

  storeOptions(
    program
      .command('alias')
      .description('Point an alias (production, staging, any name) of a model at a version, or remove it with --remove.')
      .argument('<model>', 'model name')
      .argument('<alias>', 'alias name')
      .argument('[version]', 'version number to point at')
      .option('--remove', 'remove the alias instead'),
  )
    .addHelpText('after', '\nExamples:\n  berth alias digits production 3\n  berth alias digits staging --remove\n')
    .action(async (model: string, alias: string, version: string | undefined, opts: StoreFlags & { remove?: boolean }) => {
      const result = await aliasCommand({ config: config(opts), model, alias, version, remove: opts.remove });
      out(opts, result, () => renderAliasChange(result));
    });

  storeOptions(
    program
      .command('show')
      .description('Show a model and its versions, or one version (model:version or model@alias) with its signature.')
      .argument('<reference>', 'model, model:version or model@alias'),
  ).action(async (reference: string, opts: StoreFlags) => {
    const result = await showCommand({ config: config(opts), reference });
    if (result.kind === 'version') {
      // The lineage (with `parent` for a retrained version) at the top, where scripts look first.
      out(opts, { ...result.version, lineage: result.version.manifest.lineage ?? null }, () => renderVersionDetail(result.version));
    } else {
      const { model, versions, aliases } = result;
      out(opts, { model, versions, aliases }, () => renderModelDetail(model, versions) + (aliases.length ? `\n\n${renderAliases(aliases)}` : ''));
    }
  });

  storeOptions(
    program
      .command('delete')
      .description('Delete a version. Refused while an alias points at it, unless --force (which removes the alias too).')
      .argument('<model:version>', 'the version, e.g. digits:3')
      .option('--force', 'also remove aliases that point at it'),
  ).action(async (reference: string, opts: StoreFlags & { force?: boolean }) => {
    const result = await deleteCommand({ config: config(opts), reference, force: opts.force });
    out(opts, result, () => renderDeleted(result));
  });

  storeOptions(
    program
      .command('export')
      .description('Write a version as one .berth archive, to move it to another machine (berth import there); with --target, as a folder that runs it without a server.')
      .argument('<reference>', 'model (latest version), model:version or model@alias')
      .addOption(
        new Option('--target <target>', 'archive: a .berth file; web: a static folder for browsers (index.html, model.js); node: a folder for plain node')
          .choices([...EXPORT_TARGETS])
          .default('archive'),
      )
      .option('-o, --output <path>', 'archive or folder to write (default: ./<model>-<version>.berth, or ./<model>-<version>-<target>/)')
      .option('--overwrite', 'replace an existing file or folder'),
  ).action(async (reference: string, opts: StoreFlags & { output?: string; overwrite?: boolean; target: (typeof EXPORT_TARGETS)[number] }) => {
    const result = await exportCommand({ config: config(opts), reference, target: opts.target, output: opts.output, overwrite: opts.overwrite });
    out(opts, result, () =>
      result.archive !== undefined
        ? `Exported ${result.model}:${result.version} (${shortDigest(result.digest)}) to ${result.archive} (${formatBytes(result.bytes)})`
        : `Exported ${result.model}:${result.version} (${shortDigest(result.digest)}) for ${result.target} to ${result.dir}/ (${result.files} files, ${formatBytes(result.bytes)})`,
    );
  });

  storeOptions(
    program
      .command('import')
      .description('Verify a .berth archive and register its bundle as a version; prints the version.')
      .argument('<file.berth>', 'archive made by berth export')
      .option('--name <name>', "model name (default: the bundle's name)")
      .option('--alias <alias>', 'point this alias at the version; repeat for more', collect),
  ).action(async (archive: string, opts: StoreFlags & { name?: string; alias?: string[] }) => {
    const result = await importCommand({ config: config(opts), archive, name: opts.name, aliases: opts.alias });
    out(opts, result, () => renderRegistered(result));
  });

  storeOptions(
    program
      .command('audit')
      .description("Show the registry's change history: what changed, when, and through which interface.")
      .argument('[model]', 'only changes to this model')
      .option('--limit <n>', 'the newest n entries (default 50)', wholeNumber)
      .option('--after <seq>', 'only entries after this sequence number', wholeNumber),
  ).action(async (model: string | undefined, opts: StoreFlags & { limit?: number; after?: number }) => {
    const entries = await auditCommand({ config: config(opts), model, limit: opts.limit, after: opts.after });
    out(opts, entries, () => renderAudit(entries));
  });

  serverOptions(
    program
      .command('traffic')
      .description("Split a model's traffic between versions by weight (percent, summing to 100); shadows are kept. --clear removes the split.")
      .argument('<model>', 'model name')
      .argument('[version=weight...]', 'e.g. 1=80 2=20; the first listed keeps its sticky users as its weight grows')
      .option('--clear', 'remove the split: the default version (production, else the latest) takes all traffic again')
      .option('--sticky-header <name>', 'the request header that keeps one user on one variant (default x-berth-route-key)')
      .option('--sticky-feature <name>', "a named feature that does: the first record's field, or a request parameter of tensor requests"),
  )
    .addHelpText('after', '\nExamples:\n  berth traffic digits 1=80 2=20\n  berth traffic digits 2=10 1=90 --sticky-header x-user-id\n  berth traffic digits --clear\n  berth traffic digits 1=90 2=10 --url http://berth.internal:8080\n')
    .action(async (model: string, split: string[], opts: StoreFlags & RemoteFlags & { clear?: boolean; stickyHeader?: string; stickyFeature?: string }) => {
      const result = await trafficCommand({ config: config(opts), model, split, clear: opts.clear, stickyHeader: opts.stickyHeader, stickyFeature: opts.stickyFeature, remote: remote(opts) });
      out(opts, result, () => renderDeploymentChange(model, result));
    });

  serverOptions(
    program
      .command('shadow')
      .description('Copy a share of a model\'s requests to a version that is never answered from, and compare it with the version that answers; --remove stops it.')
      .argument('<model>', 'model name')
      .argument('<version>', 'the shadow version')
      .option('--sample <share>', 'share of requests copied, above 0 and at most 1 (default 1)', shareOf)
      .option('--remove', 'stop shadowing with this version'),
  )
    .addHelpText('after', '\nExamples:\n  berth shadow digits 3\n  berth shadow digits 3 --sample 0.5\n  berth shadow digits 3 --remove\n  berth shadow digits 3 --url http://berth.internal:8080\n')
    .action(async (model: string, version: string, opts: StoreFlags & RemoteFlags & { sample?: number; remove?: boolean }) => {
      const result = await shadowCommand({ config: config(opts), model, version, sample: opts.sample, remove: opts.remove, remote: remote(opts) });
      out(opts, result, () => renderDeploymentChange(model, result));
    });

  serverOptions(
    program
      .command('deployment')
      .description("Show a model's deployment (variants, shadows, sticky key) and each version's live figures: requests, errors, latency, drift.")
      .argument('<model>', 'model name')
      .option('--since <duration>', 'range of the figures: 5m, 1h …', '5m'),
  )
    .addHelpText('after', '\nExamples:\n  berth deployment digits\n  berth deployment digits --since 1h --json\n  berth deployment digits --url http://berth.internal:8080\n')
    .action(async (model: string, opts: StoreFlags & RemoteFlags & { since: string }) => {
      const result = await deploymentCommand({ config: config(opts), model, since: opts.since, remote: remote(opts) });
      out(opts, result, () => renderDeploymentStatus(result));
    });
}

/** A share in (0, 1]. */
function shareOf(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new InvalidArgumentError('expected a share above 0 and at most 1, e.g. 0.5');
  return n;
}
