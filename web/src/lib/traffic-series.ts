/** Traffic windows as chart rows and as a single recent request rate. */
import type { TrafficPoint } from '../api/api-types.js';

/** One row of the traffic charts. */
export interface TrafficRow {
  readonly at: string;
  /** Requests per second over the window. */
  readonly rate: number;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly errors: number;
}

function seconds(point: TrafficPoint): number {
  const s = (new Date(point.to).getTime() - new Date(point.from).getTime()) / 1000;
  return s > 0 ? s : 60;
}

/** Chart rows, oldest first. */
export function trafficRows(points: readonly TrafficPoint[]): TrafficRow[] {
  return [...points]
    .sort((a, b) => a.from.localeCompare(b.from))
    .map((p) => ({ at: p.from, rate: p.requests / seconds(p), p50: p.latencyMs?.p50 ?? null, p99: p.latencyMs?.p99 ?? null, errors: p.errors }));
}

/** Requests per second over all the windows given, or null when there are none. */
export function requestRate(points: readonly TrafficPoint[]): number | null {
  if (points.length === 0) return null;
  const total = points.reduce((a, p) => a + seconds(p), 0);
  return points.reduce((a, p) => a + p.requests, 0) / total;
}
