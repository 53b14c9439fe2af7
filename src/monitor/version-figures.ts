/**
 * Live figures of single versions of a model side by side (a deployment's variants and shadows):
 * requests, error rate, latency percentiles and the drift verdict, each over its own windows, so
 * one variant's trouble never hides in another's numbers. A shadow's figures are those of the
 * copies it ran (its `shadow` windows).
 */
import { BerthError } from '../core/errors.js';
import type { WindowRole } from '../store/index.js';
import type { MonitorReports } from './monitor-reports.js';
import { sketchQuantiles } from './sketch-quantile.js';

/** One version's recent figures. */
export interface VersionFigures {
  readonly version: number;
  readonly from: string;
  readonly to: string;
  readonly requests: number;
  readonly errors: number;
  /** errors / requests; null without requests. */
  readonly errorRate: number | null;
  readonly requestsPerSecond: number;
  readonly latencyMs: { readonly p50: number | null; readonly p99: number | null };
  /** Drift against the version's reference profile; null when there is no report (see driftUnavailable). */
  readonly drift: { readonly driftedShare: number; readonly datasetDrift: boolean; readonly driftedFeatures: readonly string[] } | null;
  readonly driftUnavailable: string | null;
}

/** A version whose figures are asked for, and whose windows: what it answered (default) or ran as a shadow. */
export interface FiguresOf {
  readonly version: number;
  readonly role?: WindowRole | undefined;
}

/**
 * The figures of each of `versions` over the last `since` (a duration such as `5m`; default 5m).
 * A version without a profile, or without traffic, still has its counts.
 */
export async function versionFigures(reports: MonitorReports, model: string, versions: readonly FiguresOf[], since = '5m'): Promise<VersionFigures[]> {
  return Promise.all(
    versions.map(async ({ version, role }): Promise<VersionFigures> => {
      const traffic = await reports.traffic(model, { from: since, version: String(version), role });
      const from = traffic.points[0]?.from ?? '';
      const to = traffic.points.at(-1)?.to ?? '';
      const requests = traffic.points.reduce((sum, p) => sum + p.requests, 0);
      const errors = traffic.points.reduce((sum, p) => sum + p.errors, 0);
      const seconds = (Date.parse(to) - Date.parse(from)) / 1000;
      // The range starts and ends on window boundaries, so it can span two steps of `since`:
      // percentiles come from the latency sketches of every window merged, never from one step's.
      const [p50, p99] = requests > 0 ? sketchQuantiles((await reports.window(model, { from: since, version: String(version), role })).latency, [0.5, 0.99]) : [null, null];
      const latencyMs = { p50: p50 ?? null, p99: p99 ?? null };
      let drift: VersionFigures['drift'] = null;
      let driftUnavailable: string | null = null;
      try {
        const report = await reports.drift(model, { from: since, version: String(version), role });
        drift = { driftedShare: report.driftedShare, datasetDrift: report.datasetDrift, driftedFeatures: report.features.filter((f) => f.drifted).map((f) => f.name) };
      } catch (error) {
        if (!(error instanceof BerthError) || error.httpStatus >= 500) throw error;
        driftUnavailable = error.message;
      }
      return {
        version,
        from,
        to,
        requests,
        errors,
        errorRate: requests > 0 ? errors / requests : null,
        requestsPerSecond: seconds > 0 ? requests / seconds : 0,
        latencyMs,
        drift,
        driftUnavailable,
      };
    }),
  );
}
