/**
 * Where a rollout's figures come from: each version's traffic since a step began (the monitor's
 * windows of every replica, plus this replica's in memory) and, at a shadow step, the shadow's
 * comparison with the champion. A port, so the runner is tested on figures it is given.
 */
import { type MonitorReports, type ShadowComparisons, type SketchData, sketchQuantiles } from '../../monitor/index.js';
import type { CheckFigures } from './rollout-record.js';

/** One version's traffic over a range, with its output distributions. */
export interface VersionFigures extends CheckFigures {
  /** The sketches of the answers' outputs, by output column. */
  readonly outputs: Readonly<Record<string, SketchData>>;
}

/** A shadow's comparison with the version that answered, over a range. */
export interface ShadowFigures {
  /** Requests copied to the shadow and run. */
  readonly requests: number;
  /** Of those, requests the shadow failed. */
  readonly failed: number;
  /** Requests whose answers were compared. */
  readonly compared: number;
  /** Share of compared answers that differed (labels of classifiers), or null when nothing could be compared. */
  readonly disagreement: number | null;
  readonly latencyMs: { readonly p50: number | null; readonly p99: number | null };
  readonly primaryLatencyMs: { readonly p50: number | null; readonly p99: number | null };
}

/** The figures a rollout judges. */
export interface RolloutFigureSource {
  /** A version's traffic from `from` (epoch ms; the range starts at that window's start) until now. */
  version(model: string, version: number, from: number): Promise<VersionFigures>;
  /** A shadow's comparison from `from` until now; undefined where shadows are not compared. */
  shadow(model: string, version: number, from: number): Promise<ShadowFigures | undefined>;
}

/** Figures from the monitor's reports, and shadows' from their comparisons when kept. */
export function monitorFigureSource(reports: MonitorReports, comparisons?: ShadowComparisons): RolloutFigureSource {
  return {
    async version(model, version, from) {
      const window = await reports.window(model, { from: new Date(from).toISOString(), version: String(version) });
      const [p50, p99] = sketchQuantiles(window.latency, [0.5, 0.99]);
      return {
        requests: window.requests,
        errors: window.serverErrors,
        p50Ms: p50 ?? null,
        p99Ms: p99 ?? null,
        outputs: window.sketches.outputs,
      };
    },
    async shadow(model, version, from) {
      if (!comparisons) return undefined;
      const report = await comparisons.report(model, version, { from: new Date(from).toISOString() });
      return {
        requests: report.requests,
        failed: report.failed,
        compared: report.rows,
        disagreement: report.agreement?.disagreement ?? null,
        latencyMs: report.latencyMs.shadow,
        primaryLatencyMs: report.latencyMs.primary,
      };
    },
  };
}
