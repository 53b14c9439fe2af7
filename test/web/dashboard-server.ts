/**
 * A real Berth server for the dashboard's end-to-end tests: the registry in a fresh BERTH_HOME,
 * served and managed over HTTP, with the dashboard build (web/dist, which `npm test` builds
 * first) at `/`, exactly as `berth serve` runs it.
 */
import { tempDir } from '../helpers/models.js';
import { startRegistryServer } from '../helpers/server.js';

/** A running dashboard and the server behind it. */
export interface DashboardServer {
  /** The dashboard's URL, ending in `/`. */
  readonly url: string;
  /** The server's base URL, for calling the API directly. */
  readonly apiUrl: string;
  close(): Promise<void>;
}

/** Starts Berth on an empty registry; `config` sections as in the config file. */
export async function startDashboardServer(config: Record<string, Record<string, unknown>> = {}): Promise<DashboardServer> {
  const berth = await startRegistryServer(tempDir('berth-web-home-'), config);
  return { url: `${berth.url}/`, apiUrl: berth.url, close: () => berth.close() };
}
