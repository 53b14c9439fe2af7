/**
 * Starts a real Berth server in-process for integration tests. It is imported from the build in
 * dist/ (run `npm run build` first; `npm test` does) because inference runs in worker threads,
 * which load compiled JavaScript.
 */
import { pino } from 'pino';
import { buildConfig } from '../../dist/core/config.js';
import type { LabelledRowSource } from '../../dist/monitor/index.js';
import type { Registry } from '../../dist/registry/index.js';
import { type RunningServer, startServer } from '../../dist/serve/server.js';

/** Starts a server for `models` on a free loopback port. */
export async function startTestServer(
  models: readonly { name: string; path: string }[],
  config: Record<string, Record<string, unknown>> = {},
): Promise<RunningServer> {
  return startServer({
    config: buildConfig({ ...config, server: { port: 0, ...(config.server ?? {}) } }),
    models,
    logger: pino({ level: process.env.BERTH_TEST_LOG ?? 'silent' }),
    version: 'test',
  });
}

/** POSTs JSON and returns status, headers and parsed body. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json: json as Record<string, unknown> & { error?: string; code?: string } };
}

/**
 * Starts a server that serves (and manages) the registry in `home`, polling it every 100 ms.
 * `extra`: a clock for the monitor and rollouts, and rollouts stepped only by the test's ticks.
 */
export async function startRegistryServer(
  home: string,
  config: Record<string, Record<string, unknown>> = {},
  extra: { readonly now?: () => number; readonly rolloutTimers?: boolean; readonly labelledRows?: LabelledRowSource } = {},
): Promise<RunningServer & { registry: Registry }> {
  const { openRegistry } = await import('../../dist/registry/index.js');
  const store = { home, ...(config.store ?? {}) } as { home: string; databaseUrl?: string; databaseSchema?: string };
  const registry = await openRegistry({ home, databaseUrl: store.databaseUrl, schema: store.databaseSchema, actor: { interface: 'server' } });
  const server = await startServer({
    config: buildConfig(
      { ...config, store, registry: { pollMs: 100, ...(config.registry ?? {}) }, server: { port: 0, ...(config.server ?? {}) } },
      { managementApi: true },
    ),
    models: [],
    registry,
    logger: pino({ level: process.env.BERTH_TEST_LOG ?? 'silent' }),
    version: 'test',
    ...extra,
  });
  return {
    ...server,
    registry,
    close: async () => {
      await server.close();
      await registry.close();
    },
  };
}

/** Polls `check` every 20 ms until it returns true or `ms` pass; returns whether it did. */
export async function eventually(check: () => Promise<boolean> | boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

/** Tracks whether a promise has settled, without letting a rejection go unhandled. */
export function tracked<T>(promise: Promise<T>): { readonly promise: Promise<T>; settled(): boolean } {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { promise, settled: () => settled };
}
