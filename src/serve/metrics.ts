/** Prometheus metrics of one server (its own registry: no process-global state). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Which protocol a request came through. */
export type Protocol = 'v2-rest' | 'v1-rest';
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
    help: 'Inference requests being processed now.',
    registers: [this.registry],
  });
  readonly loadSeconds = new Gauge({
    name: 'berth_model_load_seconds',
    help: 'Time taken to load and warm each served model version.',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });

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
