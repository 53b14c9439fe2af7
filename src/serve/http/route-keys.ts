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

const BODY_NEEDED = Symbol('the body is needed to route this request');

/**
 * What `resolve` finds from the request's headers alone, before its body is read; undefined when
 * the deployment routes by a feature or parameter, which only the body holds.
 */
export function resolveWithoutBody<T>(request: FastifyRequest, resolve: (keys: RouteKeySource) => T): T | undefined {
  try {
    return resolve(
      routeKeysOf(request, () => {
        throw BODY_NEEDED;
      }),
    );
  } catch (error) {
    if (error === BODY_NEEDED) return undefined;
    throw error;
  }
}
