/**
 * Checks before the load: every server answers the request the load will send, with outputs of
 * the expected size, and the Python server computes the same probabilities as Berth.
 */
import type { BenchRequest } from './run-load.js';
import type { ServerProcess } from './server-process.js';

/** A server's answer to one request. */
export interface Answer {
  readonly status: number;
  readonly bytes: number;
  /** The first output's values (JSON responses only). */
  readonly values: number[] | undefined;
}

/** Sends `request` once and reads the answer; throws on a non-2xx status. */
export async function fetchAnswer(server: ServerProcess, request: BenchRequest): Promise<Answer> {
  const response = await fetch(server.url + request.path, {
    method: request.method,
    ...(request.headers ? { headers: request.headers } : {}),
    ...(request.body !== undefined ? { body: request.body } : {}),
  });
  const body = Buffer.from(await response.arrayBuffer());
  if (!response.ok) throw new Error(`${server.label} answered ${response.status} to ${request.path}: ${body.toString('utf8').slice(0, 500)}`);
  let values: number[] | undefined;
  if (response.headers.get('content-type')?.startsWith('application/json')) {
    const json = JSON.parse(body.toString('utf8')) as { outputs: { data: number[] }[] };
    values = json.outputs[0]?.data;
  }
  return { status: response.status, bytes: body.length, values };
}

/** Largest absolute difference between two answers' values. */
export function maxAbsDifference(a: Answer, b: Answer): number {
  if (!a.values || !b.values || a.values.length !== b.values.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < a.values.length; i++) max = Math.max(max, Math.abs(a.values[i]! - b.values[i]!));
  return max;
}
