/**
 * Starting the FastAPI + uvicorn + scikit-learn baseline (python_server.py). It needs Debian's
 * python3-fastapi, python3-uvicorn and python3-sklearn under /usr/bin/python3 (not a pyenv shim
 * on PATH, which may lack them).
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type ServerProcess, startServerProcess } from './server-process.js';

/** The interpreter with Debian's packages. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** Undefined when the server can run; otherwise why not (for the report). */
export function pythonServerMissing(): string | undefined {
  const probe = spawnSync(SYSTEM_PYTHON, ['-c', 'import fastapi, uvicorn, sklearn, numpy; print(fastapi.__version__, uvicorn.__version__, sklearn.__version__)'], {
    encoding: 'utf8',
  });
  if (probe.status === 0) return undefined;
  return `${SYSTEM_PYTHON} cannot import fastapi, uvicorn and sklearn (install python3-fastapi python3-uvicorn python3-sklearn with apt-get)`;
}

/** Versions of FastAPI, uvicorn and scikit-learn, e.g. `0.92.0 0.17.6 1.2.1`. */
export function pythonServerVersions(): string {
  const probe = spawnSync(SYSTEM_PYTHON, ['-c', 'import sys, fastapi, uvicorn, sklearn; print(sys.version.split()[0], fastapi.__version__, uvicorn.__version__, sklearn.__version__)'], {
    encoding: 'utf8',
  });
  const [python, fastapi, uvicorn, sklearn] = probe.stdout.trim().split(' ');
  return `Python ${python}, FastAPI ${fastapi}, uvicorn ${uvicorn}, scikit-learn ${sklearn}`;
}

/** Starts uvicorn with `workers` processes serving the MLP whose weights are in `weightsJson`. */
export async function startPythonServer(weightsJson: string, workers: number): Promise<ServerProcess> {
  // uvicorn prints the port it was given, not the one it bound, so pick a free port first.
  const port = await freePort();
  return startServerProcess({
    label: 'FastAPI + scikit-learn',
    command: SYSTEM_PYTHON,
    args: [
      '-m', 'uvicorn', 'python_server:app',
      '--app-dir', fileURLToPath(new URL('.', import.meta.url)),
      '--host', '127.0.0.1', '--port', String(port),
      '--workers', String(workers),
      '--no-access-log', '--log-level', 'warning',
    ],
    env: {
      BENCH_MLP_WEIGHTS: weightsJson,
      // One BLAS thread per worker process, as Berth runs one onnxruntime thread per session.
      OMP_NUM_THREADS: '1',
      OPENBLAS_NUM_THREADS: '1',
      MKL_NUM_THREADS: '1',
    },
    url: `http://127.0.0.1:${port}`,
    readyPath: '/v2/health/live',
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
