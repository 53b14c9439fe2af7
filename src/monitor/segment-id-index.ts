/**
 * Where each request id of a log segment is, for lookups by id: UUIDv7 ids by their time and
 * other 10 bytes in an open-addressing hash table of typed arrays, other ids in a Map. A segment
 * holds up to 65,536 ids; typed arrays make indexing them a few milliseconds with nothing for the
 * garbage collector to trace, where a Map of string keys took a large part of a second.
 */
import { REST_BYTES, uuidV7Rest, uuidV7Time } from './segment-format.js';

/** A request id parsed once for lookups: a UUIDv7's time and other bytes, or the id itself. */
export type RequestKey = { readonly ms: number; readonly rest: Uint8Array } | { readonly text: string };

/** The key of `id` (UUIDv7s compare without regard to case, other ids exactly). */
export function requestKey(id: string): RequestKey {
  const ms = uuidV7Time(id);
  return ms === undefined ? { text: id } : { ms, rest: uuidV7Rest(id) };
}

/** Ids of one segment and their positions (entries in the order they came). */
export class IdIndex {
  #ms: Float64Array;
  #rest: Uint8Array;
  #positions: Int32Array;
  #count = 0;
  /** Slot → UUIDv7 ordinal + 1, 0 where empty; at most half full. */
  #table: Int32Array;
  readonly #texts = new Map<string, number>();

  /** `capacity`: how many ids to make room for at once (it grows past that). */
  constructor(capacity = 256) {
    const size = Math.max(16, capacity);
    this.#ms = new Float64Array(size);
    this.#rest = new Uint8Array(size * REST_BYTES);
    this.#positions = new Int32Array(size);
    this.#table = new Int32Array(2 ** Math.ceil(Math.log2(size * 2 + 1)));
  }

  /** Records that the entry at `position` has the UUIDv7 of time `ms` and bytes rest[offset, offset + 10); a later entry with the same id replaces it. */
  addTime(position: number, ms: number, rest: Uint8Array, offset = 0): void {
    const slot = this.#slotOf(ms, rest, offset);
    const existing = this.#table[slot]!;
    if (existing !== 0) {
      this.#positions[existing - 1] = position;
      return;
    }
    if (this.#count === this.#ms.length) this.#grow();
    const ordinal = this.#count++;
    this.#ms[ordinal] = ms;
    const base = ordinal * REST_BYTES;
    for (let i = 0; i < REST_BYTES; i++) this.#rest[base + i] = rest[offset + i]!;
    this.#positions[ordinal] = position;
    if (this.#count * 2 > this.#table.length) this.#rehash();
    else this.#table[slot] = ordinal + 1;
  }

  /** Records that the entry at `position` has an id that is not a UUIDv7 (kept as written). */
  addText(position: number, id: string): void {
    this.#texts.set(id, position);
  }

  /** The position of the (last) entry with this id, or undefined. */
  find(key: RequestKey): number | undefined {
    if ('text' in key) return this.#texts.get(key.text);
    const ordinal = this.#table[this.#slotOf(key.ms, key.rest, 0)]!;
    return ordinal === 0 ? undefined : this.#positions[ordinal - 1];
  }

  /** The slot holding this id, or the empty slot where it would go. */
  #slotOf(ms: number, rest: Uint8Array, offset: number): number {
    const mask = this.#table.length - 1;
    let slot = hash(ms, rest, offset) & mask;
    for (;;) {
      const ordinal = this.#table[slot]!;
      if (ordinal === 0 || this.#equals(ordinal - 1, ms, rest, offset)) return slot;
      slot = (slot + 1) & mask;
    }
  }

  #equals(ordinal: number, ms: number, rest: Uint8Array, offset: number): boolean {
    if (this.#ms[ordinal] !== ms) return false;
    const base = ordinal * REST_BYTES;
    for (let i = 0; i < REST_BYTES; i++) if (this.#rest[base + i] !== rest[offset + i]) return false;
    return true;
  }

  #grow(): void {
    const size = this.#ms.length * 2;
    const ms = new Float64Array(size);
    ms.set(this.#ms);
    this.#ms = ms;
    const rest = new Uint8Array(size * REST_BYTES);
    rest.set(this.#rest);
    this.#rest = rest;
    const positions = new Int32Array(size);
    positions.set(this.#positions);
    this.#positions = positions;
  }

  #rehash(): void {
    this.#table = new Int32Array(this.#table.length * 2);
    const mask = this.#table.length - 1;
    for (let ordinal = 0; ordinal < this.#count; ordinal++) {
      let slot = hash(this.#ms[ordinal]!, this.#rest, ordinal * REST_BYTES) & mask;
      while (this.#table[slot] !== 0) slot = (slot + 1) & mask;
      this.#table[slot] = ordinal + 1;
    }
  }
}

/** FNV-1a over the id's bytes and its time (callers' UUIDv7 generators vary in which bits are random). */
function hash(ms: number, rest: Uint8Array, offset: number): number {
  let h = Math.imul(0x811c9dc5 ^ (ms % 0x100000000), 0x01000193);
  for (let i = 0; i < REST_BYTES; i++) h = Math.imul(h ^ rest[offset + i]!, 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}
