/**
 * `berth conformance` on the command line. main.ts adds it to the program; the exit code is 1
 * when a check failed, so CI can gate on it.
 */
import { type Command, Option } from 'commander';
import { formatConformanceReport } from '../conformance/index.js';
import { conformanceCommand } from './commands/conformance.js';
import { integer } from './option-parsers.js';

/** What the conformance command needs from the entry point. */
export interface ConformanceProgramContext {
  /** The environment, for BERTH_TOKEN; only main.ts reads process.env. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Writes a line (or lines) to standard output. */
  readonly print: (text: string) => void;
  /** Sets the process's exit code. */
  readonly setExitCode: (code: number) => void;
}

/** Registers `conformance` on `program`. */
export function addConformanceCommand(program: Command, context: ConformanceProgramContext): void {
  program
    .command('conformance')
    .description(
      "Check a server against Berth's Open Inference Protocol suite (REST: health, metadata, every datatype in JSON and binary, " +
        'output selection, error statuses and bodies) and print a report; exits 1 when a check fails. ' +
        'The checks infer with small ONNX models the server must serve: --write-models writes them.',
    )
    .argument('[url]', 'base URL of the server, e.g. http://127.0.0.1:8080')
    .addOption(new Option('--profile <profile>', "oip: the protocol; berth: also Berth's error codes and extensions; auto: berth for a Berth server").choices(['auto', 'oip', 'berth']).default('auto'))
    .option('--only <prefix...>', 'run only checks whose id starts with one of these (health, datatypes.binary, errors.unknown-model …)')
    .option('--token <token>', 'sent as Authorization: Bearer (env BERTH_TOKEN)')
    .option('--timeout-ms <ms>', 'longest one request may take', integer, 30_000)
    .option('--write-models <dir>', 'write the conformance models into <dir> (then serve them and run again)')
    .addOption(new Option('--layout <layout>', 'how --write-models lays them out: files (<name>.onnx) or repository (<name>/1/model.onnx, for Triton or KServe)').choices(['files', 'repository']).default('files'))
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  berth conformance --write-models ./oip-models && berth serve ./oip-models/*.onnx --port 8000\n' +
        '  berth conformance http://127.0.0.1:8000\n  berth conformance http://triton:8000 --profile oip --json > report.json\n',
    )
    .action(async (url: string | undefined, opts: { profile: 'auto' | 'oip' | 'berth'; only?: string[]; token?: string; timeoutMs: number; writeModels?: string; layout: 'files' | 'repository'; json?: boolean }) => {
      const result = await conformanceCommand({
        url,
        profile: opts.profile,
        token: opts.token ?? context.env.BERTH_TOKEN,
        timeoutMs: opts.timeoutMs,
        only: opts.only,
        writeModels: opts.writeModels,
        layout: opts.layout,
      });
      if (result.written.length > 0 && !opts.json) context.print(`Wrote ${result.written.length} conformance models to ${opts.writeModels}`);
      if (!result.report) {
        if (opts.json) context.print(JSON.stringify({ written: result.written }, null, 2));
        return;
      }
      context.print(opts.json ? JSON.stringify({ ...result.report, ...(result.written.length > 0 ? { written: result.written } : {}) }, null, 2) : formatConformanceReport(result.report));
      if (result.report.failed > 0) context.setExitCode(1);
    });
}
