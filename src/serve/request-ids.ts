/**
 * Request ids: UUIDv7, so that ids made one after another sort in time order (the prediction log
 * is keyed by request id, and keys that arrive in order append to its index instead of landing on
 * random pages: taking a request into the log and writing it on SQLite took 5.5–7.1 µs (five runs)
 * instead of 16–19 µs with random ids (three runs), `npx tsx bench/prediction-log-ids.ts`). Ids
 * made within the same millisecond are in random order, which costs nothing there.
 *
 * The random bits come from a pool refilled 256 ids at a time: uuid's own generator asks the
 * system for 16 bytes per id, which took 12% of the event loop at 22,000 requests/s.
 */
import { randomFillSync } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

const ID_BYTES = 16;
const POOL_IDS = 256;

/** A generator of request ids for one server. */
export function requestIdGenerator(): () => string {
  const pool = new Uint8Array(ID_BYTES * POOL_IDS);
  let offset = pool.length;
  const rng = (): Uint8Array => {
    if (offset >= pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    const bytes = pool.subarray(offset, offset + ID_BYTES);
    offset += ID_BYTES;
    return bytes;
  };
  return () => uuidv7({ rng });
}
