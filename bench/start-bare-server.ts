/** Starting the bare node:http server (the limit of the HTTP stack) as a child process. */
import { fileURLToPath } from 'node:url';
import { type ServerProcess, startServerProcess } from './server-process.js';

/** Starts bare-http-server.ts answering `outputsPerRow` values per row in an output named `outputName`. */
export function startBareServer(outputsPerRow: number, outputName: string): Promise<ServerProcess> {
  return startServerProcess({
    label: 'bare node:http',
    command: process.execPath,
    args: ['--import', 'tsx', fileURLToPath(new URL('./bare-http-server.ts', import.meta.url)), String(outputsPerRow), outputName],
    urlPattern: /at (http:\/\/\S+)/,
    readyPath: '/v2/health/live',
  });
}
