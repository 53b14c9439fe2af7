/**
 * Process-wide V8 settings for a server process, applied once at the edge from the validated
 * config (V8 flags are per process by nature; nothing below the CLI touches them).
 */
import { setFlagsFromString } from 'node:v8';

/** Sets the heap growing factor; see `server.heapGrowthPercent` in the config. */
export function tuneHeap(heapGrowthPercent: number): void {
  // V8 reads this flag at every full collection when it sizes the next limit, so setting it
  // after start-up takes effect from the next collection on.
  if (heapGrowthPercent > 0) setFlagsFromString(`--heap-growing-percent=${heapGrowthPercent}`);
}
