/** AfterResponseQueue: tasks run after the current turn, together, in order, whatever one of them throws. */
import { describe, expect, it } from 'vitest';
import { AfterResponseQueue } from '../../src/serve/after-response-queue.js';

describe('AfterResponseQueue', () => {
  it('runs the tasks of a turn after it, in order, once each', async () => {
    const queue = new AfterResponseQueue((error) => {
      throw error;
    });
    const ran: number[] = [];
    for (let i = 0; i < 5; i++) queue.run(() => ran.push(i));
    expect(ran).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toEqual([0, 1, 2, 3, 4]);
    queue.run(() => ran.push(5));
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('reports a task that throws and still runs the others, then and later', async () => {
    const errors: unknown[] = [];
    const queue = new AfterResponseQueue((error) => errors.push(error));
    const ran: string[] = [];
    queue.run(() => ran.push('a'));
    queue.run(() => {
      throw new Error('broken');
    });
    queue.run(() => ran.push('c'));
    await new Promise((resolve) => setImmediate(resolve));
    queue.run(() => ran.push('d'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toEqual(['a', 'c', 'd']);
    expect(errors).toEqual([expect.objectContaining({ message: 'broken' })]);
  });
});
