/** Starting `berth serve` from the build in dist/. */
import { fileURLToPath } from 'node:url';
import { type ServerProcess, startServerProcess } from './server-process.js';

/** The built CLI the bench serves with. */
export const BERTH_BIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

/** Node flags for the server from BERTH_BENCH_NODE_FLAGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`), to profile it under a bench's load. */
function nodeFlags(): string[] {
  return (process.env.BERTH_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
}

/** A model to serve. */
export interface ServedFile {
  readonly name: string;
  readonly path: string;
}

/**
 * Starts `berth serve name=path ... --port 0` with extra flags (`--max-batch-size 1`,
 * `--workers 2`...) and environment (`BERTH_*` settings without a flag). Logs stay at info:
 * start-up lines only (the load report is read from them), no line per request.
 */
export function startBerth(
  label: string,
  models: readonly ServedFile[],
  flags: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
): Promise<ServerProcess> {
  return startServerProcess({
    label,
    env,
    command: process.execPath,
    args: [...nodeFlags(), BERTH_BIN, 'serve', ...models.map((m) => `${m.name}=${m.path}`), '--port', '0', '--log-level', 'info', ...flags],
    // The status line on stdout, not the JSON log line that also names the address.
    urlPattern: /serving .* at (http:\/\/[^\s"]+)/,
    readyPath: '/v2/health/ready',
  });
}
