/**
 * Drift as Prometheus gauges: on a schedule, the drift report of every model's default version
 * over the gauge range (`monitor.gaugeRangeMs`, an hour by default), exported per feature (the
 * statistic and whether it drifted) and per model (dataset drift, the share of drifted features,
 * and the rows outside the reference profile). Computed on a timer, not per scrape, so a
 * scrape costs nothing and many scrapers cost one report per model per interval.
 */
import { BerthError } from '../core/errors.js';
import type { MonitorDriftReport, MonitorReports } from '../monitor/index.js';
import type { ServerMetrics } from './metrics.js';

/** Where the gauges report trouble (a pino logger fits). */
export interface DriftGaugeLogger {
  warn(details: object, message: string): void;
}

/** Options of {@link DriftGauges}. */
export interface DriftGaugesOptions {
  readonly metrics: ServerMetrics;
  readonly reports: Pick<MonitorReports, 'drift'>;
  /** Each model's default version, as served now. */
  readonly defaultVersions: () => readonly { readonly model: string; readonly version: string }[];
  /** How often the reports are computed (ms). */
  readonly intervalMs: number;
  /** The range of each report, as a `from` query (`1h`). */
  readonly range: string;
  readonly logger: DriftGaugeLogger;
}

/**
 * Keeps the drift gauges of `metrics` up to date. A model without a reference profile has no
 * drift, so it has no gauges (rather than a misleading 0).
 *
 * @example
 *   const gauges = new DriftGauges({ metrics, reports: monitor.reports, defaultVersions, intervalMs: 60_000, range: '1h', logger });
 *   gauges.start(); … await gauges.close();
 */
export class DriftGauges {
  readonly #options: DriftGaugesOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: DriftGaugesOptions) {
    this.#options = options;
  }

  /** Computes the gauges now and then every `intervalMs`; the timer never keeps the process alive. */
  start(): void {
    void this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.#options.intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a refresh in progress. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** Recomputes every gauge; a refresh already running is joined, not doubled. */
  refresh(): Promise<void> {
    this.#running ??= this.#refresh().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #refresh(): Promise<void> {
    const { metrics, reports, defaultVersions, range, logger } = this.#options;
    const results: { model: string; version: string; report: MonitorDriftReport }[] = [];
    for (const { model, version } of defaultVersions()) {
      try {
        results.push({ model, version, report: await reports.drift(model, { from: range, version }) });
      } catch (error) {
        // No profile (409) or a version gone meanwhile: nothing to export for it.
        if (!(error instanceof BerthError && error.httpStatus < 500)) logger.warn({ err: error, model, version }, 'the drift gauges of a model could not be computed');
      }
    }
    // Reset and set in one synchronous step, so a scrape never sees half an update.
    metrics.featureDrift.reset();
    metrics.featureDrifted.reset();
    metrics.datasetDrifted.reset();
    metrics.driftedShare.reset();
    metrics.outlierShare.reset();
    metrics.outlierRows.reset();
    for (const { model, version, report } of results) {
      if (report.rows === 0) continue;
      const families = [['feature', report.features] as const, ...(report.predictionDrift ? [['output', report.predictionDrift.features] as const] : [])];
      for (const [role, features] of families) {
        for (const f of features) {
          if (f.status !== 'ok') continue;
          metrics.featureDrift.set({ model, version, feature: f.name, role, method: f.method }, f.statistic);
          metrics.featureDrifted.set({ model, version, feature: f.name, role }, f.drifted ? 1 : 0);
        }
      }
      metrics.datasetDrifted.set({ model, version }, report.datasetDrift ? 1 : 0);
      metrics.driftedShare.set({ model, version }, report.driftedShare);
      if (report.outliers.share !== null) {
        metrics.outlierShare.set({ model, version }, report.outliers.share);
        metrics.outlierRows.set({ model, version }, report.outliers.outlierRows);
      }
    }
  }
}
