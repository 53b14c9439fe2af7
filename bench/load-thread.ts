/**
 * Worker-thread entry that runs one {@link runLoad} and posts its result. A probe run alongside
 * the main load (health checks during saturation) needs its own event loop: sharing the main load
 * generator's would add that loop's delays to the latencies it measures.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type LoadOptions, runLoad } from './run-load.js';

parentPort!.postMessage(await runLoad(workerData as LoadOptions));
