/**
 * Request ids: UUIDv7, so that an id carries the time it was made. The prediction log stores the
 * predictions of such ids in pages of many requests, found again by the time in the id
 * (src/monitor/prediction-pages.ts), instead of a row per request: taking a request into the log
 * and writing it on SQLite took 2.3–3.1 µs, against 4.9–6.7 µs for a row per request with
 * ordered ids and 21–22 µs with random ones (three runs of `npx tsx bench/prediction-log-ids.ts`).
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
