/** JsonRowBuffer: rows in, JSON array batches out, in order; and SealedQueue, which keeps a bound when writes fail. */
import { describe, expect, it } from 'vitest';
import { JsonRowBuffer } from '../../src/monitor/json-row-buffer.js';
import { SealedQueue } from '../../src/monitor/sealed-queue.js';

describe('JsonRowBuffer', () => {
  it('seals full batches as JSON arrays, in order, and the rest on demand', () => {
    const buffer = new JsonRowBuffer(3);
    for (let i = 0; i < 7; i++) buffer.push(JSON.stringify([i, `row ${i}`]));
    expect(buffer.rows).toBe(7);
    expect(buffer.sealed.length).toBe(2);
    const full = buffer.sealed.take(5);
    expect(full).toHaveLength(2);
    buffer.seal();
    const batches = [...full, ...buffer.sealed.take(5)];
    expect(batches.map((b) => b.entries)).toEqual([3, 3, 1]);
    expect(batches.flatMap((b) => JSON.parse(b.text) as unknown[])).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => [i, `row ${i}`]));
    expect(buffer.sealed.take(5)).toEqual([]);
    expect(buffer.rows).toBe(0);
  });

  it('keeps any text intact: quotes, backslashes, non-ASCII and astral characters', () => {
    const buffer = new JsonRowBuffer(100);
    const values = ['a "quoted" \\ value', 'naïve café', '東京', '🚀 launch', ''];
    for (const value of values) buffer.push(JSON.stringify({ value }));
    buffer.seal();
    expect(JSON.parse(buffer.sealed.take(1)[0]!.text)).toEqual(values.map((value) => ({ value })));
  });

  it('grows past its first buffer without losing rows', () => {
    const buffer = new JsonRowBuffer(1_000_000);
    const long = 'x'.repeat(10_000);
    for (let i = 0; i < 50; i++) buffer.push(JSON.stringify([i, long]));
    buffer.seal();
    const rows = JSON.parse(buffer.sealed.take(1)[0]!.text) as [number, string][];
    expect(rows).toHaveLength(50);
    expect(rows.every(([i, text], j) => i === j && text === long)).toBe(true);
  });

  it('counts the rows of sealed batches and of the open one', () => {
    const buffer = new JsonRowBuffer(2);
    for (let i = 0; i < 5; i++) buffer.push(String(i));
    expect([buffer.rows, buffer.sealed.entries]).toEqual([5, 4]);
  });
});

describe('SealedQueue', () => {
  const batch = (name: string, entries: number) => ({ name, entries });

  it('takes the oldest first, takes a failed write back in front, and trims the newest beyond a bound', () => {
    const queue = new SealedQueue<ReturnType<typeof batch>>();
    for (const [name, n] of [['a', 2], ['b', 2], ['c', 2]] as const) queue.push(batch(name, n));
    const taken = queue.take(2);
    expect(taken.map((b) => b.name)).toEqual(['a', 'b']);
    expect([queue.length, queue.entries]).toEqual([1, 2]);
    queue.putBack(taken);
    expect([queue.length, queue.entries]).toEqual([3, 6]);
    expect(queue.trimTo(3)).toBe(4);
    expect([queue.length, queue.entries]).toEqual([1, 2]);
    expect(queue.trimTo(-1)).toBe(2);
    expect(queue.take(5)).toEqual([]);
  });
});
