/**
 * A Bloom filter of request ids, kept in a segment's row for the ids a lookup cannot find by the
 * time they carry (ids that are not UUIDv7, or made by a clock far from ours): a lookup reads only
 * the segments whose filter may hold the id. About 1% false positives at 10 bits per id.
 */

const BITS_PER_ID = 10;
const HASHES = 7;

/** The filter of `ids`, as base64. */
export function bloomFilterOf(ids: readonly string[]): string {
  const bits = Math.max(64, Math.ceil((ids.length * BITS_PER_ID) / 8) * 8);
  const filter = new Uint8Array(bits / 8);
  for (const id of ids) {
    const [a, b] = hashes(id);
    for (let i = 0; i < HASHES; i++) {
      const bit = (a + i * b) % bits;
      filter[bit >>> 3]! |= 1 << (bit & 7);
    }
  }
  return Buffer.from(filter).toString('base64');
}

/** False when `id` is certainly not in the filter; true when it may be. */
export function bloomMayHold(filter: string, id: string): boolean {
  return bloomFilter(filter).mayHold(id);
}

/** A filter decoded once, for asking about many ids. */
export function bloomFilter(filter: string): { mayHold(id: string): boolean } {
  const bytes = Buffer.from(filter, 'base64');
  const bits = bytes.length * 8;
  return {
    mayHold(id: string): boolean {
      if (bits === 0) return false;
      const [a, b] = hashes(id);
      for (let i = 0; i < HASHES; i++) {
        const bit = (a + i * b) % bits;
        if ((bytes[bit >>> 3]! & (1 << (bit & 7))) === 0) return false;
      }
      return true;
    },
  };
}

/** Two independent 32-bit hashes of a string (FNV-1a with two offsets), the second odd. */
function hashes(text: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
    b ^= b >>> 15;
  }
  return [a >>> 0, (b | 1) >>> 0];
}
