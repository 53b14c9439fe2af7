/** Prometheus metrics of one server (its own registry: no process-global state). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BatcherObserver } from '../runtime/batcher.js';

/** Which protocol a request came through. */
export type Protocol = 'v2-rest' | 'v2-grpc' | 'v1-rest' | 'predict';
/** How a request ended: served, refused as the client's mistake, or failed on the server. */
export type Outcome = 'success' | 'client_error' | 'server_error';

/** The server's metrics and the registry that exposes them. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'berth_requests_total',
    help: 'Inference requests by model, version, protocol and outcome.',
    labelNames: ['model', 'version', 'protocol', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'berth_request_duration_seconds',
    help: 'Inference request latency, from the request arriving to the response being sent.',
    labelNames: ['model', 'version', 'protocol'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: 'berth_requests_in_flight',
    help: 'Inference requests (HTTP from arrival, gRPC) not yet answered; scrapes, probes and the management API are not counted.',
    registers: [this.registry],
  });
  readonly loadSeconds = new Gauge({
    name: 'berth_model_load_seconds',
    help: 'Time taken to load and warm each served model version.',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  readonly modelMemoryBudget = new Gauge({
    name: 'berth_model_memory_budget_bytes',
    help: 'The memory budget of loaded versions (--model-memory); 0 when there is none.',
    registers: [this.registry],
  });
  readonly modelMemory = new Gauge({
    name: 'berth_model_memory_bytes',
    help: 'Estimated bytes held by loaded versions under the memory budget (runtime/memory-budget.ts).',
    registers: [this.registry],
  });
  readonly versionsLoaded = new Gauge({
    name: 'berth_model_versions_loaded',
    help: 'Versions holding memory under the budget now (loaded or loading).',
    registers: [this.registry],
  });
  readonly coldLoads = new Counter({
    name: 'berth_model_cold_loads_total',
    help: 'Loads of a version that was not in memory, started by a request that waited for it, by outcome.',
    labelNames: ['model', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly coldLoadWaits = new Counter({
    name: 'berth_model_cold_load_waits_total',
    help: 'Requests that found their version unloaded and waited for its load, by outcome: served (loaded in time), timeout (503 BERTH_MODEL_COLD_LOAD_TIMEOUT) or failed (the load failed).',
    labelNames: ['model', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly coldLoadSeconds = new Histogram({
    name: 'berth_model_cold_load_seconds',
    help: 'Time from a request finding its version unloaded to the version being loaded and warmed (making room included).',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly unloads = new Counter({
    name: 'berth_model_unloads_total',
    help: 'Versions unloaded to make room under the memory budget.',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });

  readonly batchRows = new Histogram({
    name: 'berth_batch_rows',
    help: 'Rows per onnxruntime run (stacked requests count their rows together).',
    labelNames: ['model', 'version'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    registers: [this.registry],
  });
  readonly batchRequests = new Histogram({
    name: 'berth_batch_requests',
    help: 'Requests stacked into each onnxruntime run.',
    labelNames: ['model', 'version'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'berth_queue_depth',
    help: 'Requests waiting for each model version.',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  readonly queueWait = new Histogram({
    name: 'berth_queue_wait_seconds',
    help: 'Time requests wait in the queue before their run starts.',
    labelNames: ['model', 'version'] as const,
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly rejections = new Counter({
    name: 'berth_queue_rejections_total',
    help: 'Requests refused by a full queue or a full worker pool (overloaded), or dropped past their deadline (timeout).',
    labelNames: ['model', 'version', 'reason'] as const,
    registers: [this.registry],
  });

  readonly featureDrift = new Gauge({
    name: 'berth_feature_drift_statistic',
    help: "Drift statistic of each feature (role=feature) and output (role=output) of each model's default version over the gauge range (monitor.gaugeRangeMs, an hour by default), by the method named.",
    labelNames: ['model', 'version', 'feature', 'role', 'method'] as const,
    registers: [this.registry],
  });
  readonly featureDrifted = new Gauge({
    name: 'berth_feature_drifted',
    help: "1 when the feature (or output) of the model's default version drifted over the gauge range (monitor.gaugeRangeMs), else 0.",
    labelNames: ['model', 'version', 'feature', 'role'] as const,
    registers: [this.registry],
  });
  readonly datasetDrifted = new Gauge({
    name: 'berth_dataset_drifted',
    help: "1 when the share of drifted features of the model's default version over the gauge range reaches the dataset drift share, else 0.",
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  readonly driftedShare = new Gauge({
    name: 'berth_drifted_feature_share',
    help: "Share of the compared features of the model's default version that drifted over the gauge range (monitor.gaugeRangeMs).",
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  readonly outlierShare = new Gauge({
    name: 'berth_outlier_share',
    help: "Share of the rows of the model's default version over the last hour with a feature outside its reference profile (the 0.1–99.9% range, or an unseen category).",
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  readonly outlierRows = new Gauge({
    name: 'berth_outlier_rows',
    help: "Rows of the model's default version over the last hour with a feature outside its reference profile.",
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  readonly shadowRequests = new Counter({
    name: 'berth_shadow_requests_total',
    help: 'Copies of requests sent to shadows, by model, shadow version and outcome: answered, failed (never seen by callers), or dropped because the shadow fell behind.',
    labelNames: ['model', 'version', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly monitorLogDropped = new Counter({
    name: 'berth_monitor_log_dropped_total',
    help: 'Entries the monitor dropped because too many waited to be written, by log: predictions, payloads, samples, events (that failed to record).',
    labelNames: ['log'] as const,
    registers: [this.registry],
  });
  readonly payloadSinkEvents = new Counter({
    name: 'berth_monitor_payload_sink_events_total',
    help: 'Payload events for the CloudEvents sink (monitor.payloads.sink), by outcome: sent, dropped (the queue was full), failed (given up after retries, refused, or not writable as JSON).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  #droppedSource: (() => Readonly<Record<string, number>>) | undefined;
  #sinkSource: (() => Readonly<Record<string, number>> | undefined) | undefined;
  readonly #sinkReported = new Map<string, number>();
  readonly #droppedReported = new Map<string, number>();

  /** Where berth_monitor_log_dropped_total reads its counts (the monitor's `dropped`), at each scrape. */
  countMonitorDrops(source: () => Readonly<Record<string, number>>): void {
    this.#droppedSource = source;
  }

  /** Where berth_monitor_payload_sink_events_total reads its counts (the monitor's `sinkCounts`), at each scrape. */
  countPayloadSink(source: () => Readonly<Record<string, number>> | undefined): void {
    this.#sinkSource = source;
  }

  /** Brings the monitor's counters up to date; called before each scrape. */
  refresh(): void {
    const sink = this.#sinkSource?.();
    if (sink !== undefined) {
      for (const outcome of ['sent', 'dropped', 'failed']) {
        const value = sink[outcome] ?? 0;
        const seen = this.#sinkReported.get(outcome) ?? 0;
        if (value > seen) this.payloadSinkEvents.inc({ outcome }, value - seen);
        this.#sinkReported.set(outcome, Math.max(seen, value));
      }
    }
    const counts = this.#droppedSource?.();
    if (counts === undefined) return;
    for (const [log, value] of Object.entries(counts)) {
      const seen = this.#droppedReported.get(log) ?? 0;
      if (value > seen) this.monitorLogDropped.inc({ log }, value - seen);
      this.#droppedReported.set(log, Math.max(seen, value));
    }
  }

  /**
   * Feeds one model version's batcher observations into the metrics. Its series go when its runtime
   * is released (unloaded under a memory budget, or out of service), since a server of many models
   * would otherwise hold them for every version it ever loaded; counters of requests and refusals stay.
   */
  batcherObserver(model: string, version: string): BatcherObserver {
    const labels = { model, version };
    return {
      closed: () => {
        this.batchRows.remove(labels);
        this.batchRequests.remove(labels);
        this.queueWait.remove(labels);
        this.queueDepth.remove(labels);
      },
      batch: (rows, requests) => {
        this.batchRows.observe(labels, rows);
        this.batchRequests.observe(labels, requests);
      },
      queueWait: (ms) => this.queueWait.observe(labels, ms / 1000),
      queueDepth: (depth) => this.queueDepth.set(labels, depth),
      rejected: (reason) => this.rejections.inc({ ...labels, reason }),
    };
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'berth_' });
  }

  /** Records one finished inference request. */
  observe(model: string, version: string, protocol: Protocol, statusCode: number, seconds: number): void {
    const outcome: Outcome = statusCode < 400 ? 'success' : statusCode < 500 ? 'client_error' : 'server_error';
    this.requests.inc({ model, version, protocol, outcome });
    this.latency.observe({ model, version, protocol }, seconds);
  }
}
