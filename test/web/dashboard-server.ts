/**
 * A real Berth server for the dashboard's end-to-end tests: the registry in a fresh BERTH_HOME,
 * served and managed over HTTP, with the dashboard build (web/dist) at `/`.
 *
 * Until http-server.ts registers the dashboard itself, a small front server puts the two
 * together on one origin: it answers `/`, `/index.html` and `/assets/*` with registerWebRoutes
 * and passes every other request, streams included, to the Berth server untouched.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { defaultWebRoot, registerWebRoutes } from '../../dist/serve/http/web-routes.js';
import { tempDir } from '../helpers/models.js';
import { startRegistryServer } from '../helpers/server.js';

/** A running dashboard and the server behind it. */
export interface DashboardServer {
  /** The dashboard's URL, ending in `/`. */
  readonly url: string;
  /** The Berth server, for calling the API directly. */
  readonly apiUrl: string;
  close(): Promise<void>;
}

/** Starts Berth on an empty registry, with the dashboard in front of it; `config` sections as in the config file. */
export async function startDashboardServer(config: Record<string, Record<string, unknown>> = {}): Promise<DashboardServer> {
  const berth = await startRegistryServer(tempDir('berth-web-home-'), config);
  const web = Fastify();
  registerWebRoutes(web, { root: defaultWebRoot() });
  await web.ready();
  const target = new URL(berth.url);
  const isDashboard = (url: string): boolean => url === '/' || url === '/index.html' || url.startsWith('/assets/');
  const front = createServer((request, response) => {
    if (isDashboard(request.url ?? '/')) {
      web.routing(request, response);
      return;
    }
    const upstream = httpRequest({ host: target.hostname, port: target.port, path: request.url, method: request.method, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const { port } = front.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    apiUrl: berth.url,
    close: async () => {
      front.closeAllConnections();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      await web.close();
      await berth.close();
    },
  };
}

/** Whether the server answers `path` at all (false: BERTH_ROUTE_NOT_FOUND), for routes still being built. */
export async function hasRoute(apiUrl: string, path: string, init: RequestInit = {}): Promise<boolean> {
  const response = await fetch(`${apiUrl}${path}`, init);
  if (response.status !== 404) return true;
  const body = (await response.json().catch(() => ({}))) as { code?: string };
  return body.code !== 'BERTH_ROUTE_NOT_FOUND';
}
