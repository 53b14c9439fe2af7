/** {@link runLoad} on a worker thread of its own. */
import type { LoadResult } from './load-result.js';
import type { LoadOptions } from './run-load.js';
import { startTsWorker } from './start-ts-worker.js';

/** Runs a load measurement in a worker thread and resolves with its result. */
export function runLoadInThread(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = startTsWorker(new URL('./load-thread.ts', import.meta.url), options);
    worker.once('message', (result: LoadResult) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}
