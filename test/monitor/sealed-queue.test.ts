/** SealedQueue, which keeps a bound when writes fail. */
import { describe, expect, it } from 'vitest';
import { SealedQueue } from '../../src/monitor/sealed-queue.js';

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

  it('keeps its bound by weight when batches say theirs, and counts the entries it drops', () => {
    const queue = new SealedQueue<{ name: string; entries: number; weight: number }>();
    queue.push({ name: 'small', entries: 3, weight: 3 });
    queue.push({ name: 'large', entries: 1, weight: 100 });
    expect([queue.entries, queue.weight]).toEqual([4, 103]);
    expect(queue.trimTo(50)).toBe(1);
    expect([queue.length, queue.entries, queue.weight]).toEqual([1, 3, 3]);
  });
});
