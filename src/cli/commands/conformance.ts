/**
 * `berth conformance [url]`: runs Berth's Open Inference Protocol checks against any server, and
 * with `--write-models <dir>` writes the small ONNX models the checks infer with.
 */
import { Errors } from '../../core/errors.js';
import { type ConformanceReport, type ConformanceProfile, runConformance, writeConformanceModels } from '../../conformance/index.js';

/** Options of `berth conformance`. */
export interface ConformanceCommandOptions {
  /** The server's base URL; absent: only write the models. */
  readonly url?: string | undefined;
  readonly profile?: ConformanceProfile | 'auto' | undefined;
  readonly token?: string | undefined;
  readonly timeoutMs?: number | undefined;
  readonly only?: readonly string[] | undefined;
  /** Writes the conformance models into this folder first. */
  readonly writeModels?: string | undefined;
  /** `files` (`<name>.onnx`) or `repository` (`<name>/1/model.onnx`, as Triton and KServe read). */
  readonly layout?: 'files' | 'repository' | undefined;
}

/** What the command did: the models it wrote, and the report when it ran the checks. */
export interface ConformanceCommandResult {
  readonly written: readonly { readonly name: string; readonly path: string }[];
  readonly report?: ConformanceReport;
}

/** Writes the models and/or runs the checks; the caller prints and chooses the exit code. */
export async function conformanceCommand(options: ConformanceCommandOptions): Promise<ConformanceCommandResult> {
  if (options.url === undefined && options.writeModels === undefined) {
    throw Errors.REQUEST_INVALID.create('berth conformance needs the URL of a server to check, or --write-models <dir>');
  }
  const written = options.writeModels !== undefined ? await writeConformanceModels(options.writeModels, options.layout ?? 'files') : [];
  if (options.url === undefined) return { written };
  if (!/^https?:\/\//.test(options.url)) throw Errors.REQUEST_INVALID.create(`'${options.url}' is not an http:// or https:// URL of a server`);
  const report = await runConformance({
    url: options.url,
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.only !== undefined ? { only: options.only } : {}),
  });
  return { written, report };
}
