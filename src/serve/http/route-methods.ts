/**
 * Which methods answer a path, learned from the routes an app declares, so that a request with
 * the wrong method is told which ones to use (405 with `Allow`) instead of "no such endpoint".
 */
import type { FastifyInstance } from 'fastify';

interface Route {
  readonly pattern: RegExp;
  readonly methods: Set<string>;
}

/** Records the app's routes as they are added; call before any route is declared. */
export class RouteMethods {
  readonly #routes = new Map<string, Route>();

  constructor(app: FastifyInstance) {
    app.addHook('onRoute', (route) => {
      // Catch-all routes (the dashboard's files) would claim every path; they name no endpoint.
      if (route.url.includes('*')) return;
      const entry = this.#routes.get(route.url) ?? { pattern: patternOf(route.url), methods: new Set<string>() };
      for (const method of [route.method].flat()) if (method !== 'HEAD') entry.methods.add(method);
      this.#routes.set(route.url, entry);
    });
  }

  /** The methods that answer `url` (its path, without the query), sorted; empty when none does. */
  allowed(url: string): string[] {
    const path = url.split('?')[0]!;
    const methods = new Set<string>();
    for (const route of this.#routes.values()) if (route.pattern.test(path)) for (const m of route.methods) methods.add(m);
    return [...methods].sort();
  }
}

/** `/v2/models/:name/infer` as a regular expression over paths (a trailing slash allowed). */
function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`);
}
