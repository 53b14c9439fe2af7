/**
 * Runs the conformance checks against a server and collects a report: which checks passed,
 * failed (with what was expected and what came back) or were skipped (a model the server does
 * not serve, or a Berth extension under the `oip` profile).
 */
import { Errors } from '../core/errors.js';
import { CheckFailure, type CheckArea, type ConformanceCheck, type ConformanceProfile, httpContext } from './conformance-check.js';
import { OIP_CHECKS } from './oip-checks.js';

/** Options of {@link runConformance}. */
export interface ConformanceOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** `auto` (default): `berth` when the server says it is Berth (`GET /v2`), else `oip`. */
  readonly profile?: ConformanceProfile | 'auto';
  /** Sent as `Authorization: Bearer`, for servers behind a token. */
  readonly token?: string | undefined;
  /** Longest one request may take; default 30 s. */
  readonly timeoutMs?: number;
  /** Runs only the checks whose id starts with one of these. */
  readonly only?: readonly string[];
  /** The checks to run; default every OIP check. */
  readonly checks?: readonly ConformanceCheck[];
  /** Told of each result as it comes. */
  readonly onResult?: (result: CheckResult) => void;
}

/** The outcome of one check. */
export interface CheckResult {
  readonly id: string;
  readonly area: CheckArea;
  readonly title: string;
  readonly status: 'passed' | 'failed' | 'skipped';
  /** Why it failed or was skipped. */
  readonly message?: string;
  readonly ms: number;
}

/** The outcome of a run. */
export interface ConformanceReport {
  readonly url: string;
  readonly server: { readonly name?: string; readonly version?: string };
  readonly profile: ConformanceProfile;
  readonly results: readonly CheckResult[];
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  /** Conformance models the server does not serve (`berth conformance --write-models` writes them). */
  readonly missingModels: readonly string[];
}

/** Runs the checks in order and reports every result; throws BERTH_REMOTE_FAILED when the server cannot be reached at all. */
export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const headers = options.token ? { authorization: `Bearer ${options.token}` } : undefined;
  const probe = httpContext(options.url, 'oip', { ...(headers ? { headers } : {}), timeoutMs: options.timeoutMs ?? 30_000 });
  let server: { name?: string; version?: string } = {};
  try {
    const answer = await probe.send('/v2');
    const json = answer.json;
    if (answer.status === 200 && typeof json === 'object' && json !== null && !Array.isArray(json)) {
      server = {
        ...(typeof json.name === 'string' ? { name: json.name } : {}),
        ...(typeof json.version === 'string' ? { version: json.version } : {}),
      };
    }
  } catch (error) {
    throw Errors.REMOTE_FAILED.create(probe.url, `no answer to GET /v2 (${describe(error)})`, { cause: error });
  }
  const profile: ConformanceProfile = !options.profile || options.profile === 'auto' ? (server.name === 'berth' ? 'berth' : 'oip') : options.profile;
  const context = httpContext(options.url, profile, { ...(headers ? { headers } : {}), timeoutMs: options.timeoutMs ?? 30_000 });
  const checks = (options.checks ?? OIP_CHECKS).filter((c) => !options.only?.length || options.only.some((prefix) => c.id.startsWith(prefix)));

  const served = new Map<string, boolean>();
  for (const model of new Set(checks.flatMap((c) => c.models))) {
    served.set(model, (await context.send(`/v2/models/${model}`).catch(() => undefined))?.status === 200);
  }
  const missingModels = [...served].filter(([, isServed]) => !isServed).map(([model]) => model);

  const results: CheckResult[] = [];
  for (const c of checks) {
    const started = Date.now();
    const missing = c.models.filter((m) => !served.get(m));
    let result: CheckResult;
    if (c.berthOnly && profile !== 'berth') {
      result = { id: c.id, area: c.area, title: c.title, status: 'skipped', message: 'a Berth extension (run with --profile berth to check it)', ms: 0 };
    } else if (missing.length > 0) {
      result = { id: c.id, area: c.area, title: c.title, status: 'skipped', message: `not served: ${missing.join(', ')}`, ms: 0 };
    } else {
      try {
        await c.run(context);
        result = { id: c.id, area: c.area, title: c.title, status: 'passed', ms: Date.now() - started };
      } catch (error) {
        const message = error instanceof CheckFailure ? error.message : `the check could not finish: ${describe(error)}`;
        result = { id: c.id, area: c.area, title: c.title, status: 'failed', message, ms: Date.now() - started };
      }
    }
    results.push(result);
    options.onResult?.(result);
  }
  const count = (status: CheckResult['status']) => results.filter((r) => r.status === status).length;
  return { url: context.url, server, profile, results, passed: count('passed'), failed: count('failed'), skipped: count('skipped'), missingModels };
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const own = error instanceof Error ? error.message : String(error);
  return cause?.code ? `${own}: ${cause.code}` : own;
}

/** The report as text, one line per check, failures with their reason, and a summary line. */
export function formatConformanceReport(report: ConformanceReport): string {
  const lines = [`Open Inference Protocol conformance of ${report.url} (${report.server.name ?? 'unnamed server'}${report.server.version ? ` ${report.server.version}` : ''}, profile ${report.profile})`];
  let area: string | undefined;
  for (const r of report.results) {
    if (r.area !== area) {
      area = r.area;
      lines.push('', `${area}`);
    }
    const mark = { passed: 'PASS', failed: 'FAIL', skipped: 'SKIP' }[r.status];
    lines.push(`  ${mark} ${r.id}: ${r.title}`);
    if (r.message) lines.push(`       ${r.message}`);
  }
  lines.push('', `${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped`);
  if (report.missingModels.length > 0) {
    lines.push(`Not served: ${report.missingModels.join(', ')}. Write them with: berth conformance --write-models <dir>, then serve them (berth serve <dir>/*.onnx), and run again.`);
  }
  return lines.join('\n');
}
