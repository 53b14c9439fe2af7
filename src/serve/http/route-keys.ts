/** A request's sticky routing keys as the data plane reads them (variant-choice.ts), from HTTP headers. */
import type { FastifyRequest } from 'fastify';
import type { RouteKeySource } from '../variant-choice.js';

/** Reads sticky keys from the request's headers and, for a named feature, from `feature`. */
export function routeKeysOf(request: FastifyRequest, feature?: (name: string) => unknown): RouteKeySource {
  return {
    header: (name) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    },
    ...(feature ? { feature } : {}),
  };
}

/** A named feature of rows of records: the first row's field of that name. */
export function firstRowField(rows: readonly unknown[], name: string): unknown {
  const first = rows[0];
  return typeof first === 'object' && first !== null ? (first as Record<string, unknown>)[name] : undefined;
}
