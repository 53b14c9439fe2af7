/**
 * What the models list shows of each model's monitoring, in one answer: recent traffic and the
 * drift verdict of the last day, so a list of many models costs one request, not two per model.
 */
import { BerthError } from '../core/errors.js';
import { type MonitorReports } from './monitor-reports.js';

/** Range of the traffic figures, as a report's `from`. */
export const SUMMARY_TRAFFIC_RANGE = '5m';
/** Range of the drift verdict, as a report's `from`. */
export const SUMMARY_DRIFT_RANGE = '24h';

/** A model's recent traffic and drift. */
export interface ModelMonitorSummary {
  /** Requests over the last five minutes. */
  readonly traffic: {
    readonly from: string;
    readonly to: string;
    readonly requests: number;
    readonly errors: number;
    /** Requests per second over the range. */
    readonly requestsPerSecond: number;
  };
  /** The drift report of the last 24 hours in brief; null when there is none (see `driftUnavailable`). */
  readonly drift: {
    readonly from: string;
    readonly to: string;
    readonly version: string;
    readonly rows: number;
    readonly driftedShare: number;
    readonly datasetDrift: boolean;
    /** Features that drifted, by name. */
    readonly driftedFeatures: readonly string[];
  } | null;
  /** Why there is no drift report (a version without a reference profile, say), or null. */
  readonly driftUnavailable: string | null;
}

/**
 * The summary of `model` from the monitor's reports. A model whose drift cannot be reported (no
 * profile, no version) still has its traffic; any other failure is thrown.
 */
export async function modelMonitorSummary(reports: MonitorReports, model: string): Promise<ModelMonitorSummary> {
  const traffic = await reports.traffic(model, { from: SUMMARY_TRAFFIC_RANGE, step: SUMMARY_TRAFFIC_RANGE });
  const from = traffic.points[0]?.from ?? '';
  const to = traffic.points.at(-1)?.to ?? '';
  const requests = traffic.points.reduce((sum, p) => sum + p.requests, 0);
  const seconds = (Date.parse(to) - Date.parse(from)) / 1000;
  const summary = {
    from,
    to,
    requests,
    errors: traffic.points.reduce((sum, p) => sum + p.errors, 0),
    requestsPerSecond: seconds > 0 ? requests / seconds : 0,
  };
  try {
    const report = await reports.drift(model, { from: SUMMARY_DRIFT_RANGE });
    return {
      traffic: summary,
      drift: {
        from: report.from,
        to: report.to,
        version: report.version,
        rows: report.rows,
        driftedShare: report.driftedShare,
        datasetDrift: report.datasetDrift,
        driftedFeatures: report.features.filter((f) => f.drifted).map((f) => f.name),
      },
      driftUnavailable: null,
    };
  } catch (error) {
    if (!(error instanceof BerthError) || error.httpStatus >= 500) throw error;
    return { traffic: summary, drift: null, driftUnavailable: error.message };
  }
}
