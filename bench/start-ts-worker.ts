/** Starting a worker thread from a TypeScript module of the bench. */
import { Worker } from 'node:worker_threads';

/**
 * Starts `module` (a .ts file URL) in a worker thread. Node 20 does not pass `--import tsx` on to
 * workers, so the worker registers tsx itself before importing the module.
 */
export function startTsWorker(module: URL, workerData: unknown): Worker {
  const source = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(module.href)}); });`;
  return new Worker(source, { eval: true, workerData });
}
