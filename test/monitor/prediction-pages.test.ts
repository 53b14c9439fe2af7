/** PredictionPages and uuidV7Time: which ids are paged, where pages are sealed, and the bound kept on failure. */
import { v4, v7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { PAGE_ENTRIES, PAGE_SPAN_MS, PredictionPages, uuidV7Time } from '../../src/monitor/prediction-pages.js';
import { requestIdGenerator } from '../../src/serve/request-ids.js';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');

describe('uuidV7Time', () => {
  it('reads the time of a UUIDv7, the server’s own ids included, in either case', () => {
    expect(uuidV7Time(v7({ msecs: T0 }))).toBe(T0);
    expect(uuidV7Time(v7({ msecs: 0 }))).toBe(0);
    expect(uuidV7Time(v7({ msecs: 2 ** 48 - 1 }))).toBe(2 ** 48 - 1);
    expect(uuidV7Time(v7({ msecs: T0 }).toUpperCase())).toBe(T0);
    const before = Date.now();
    const id = requestIdGenerator()();
    expect(uuidV7Time(id)).toBeGreaterThanOrEqual(before);
    expect(uuidV7Time(id)).toBeLessThanOrEqual(Date.now());
  });

  it('refuses what is not a UUIDv7', () => {
    const id = v7({ msecs: T0 });
    for (const other of [v4(), 'r-1', '', id.slice(1), `${id}0`, id.replace(/-/g, ''), `${id.slice(0, 14)}4${id.slice(15)}`, `${id.slice(0, 19)}c${id.slice(20)}`, `g${id.slice(1)}`, ` ${id.slice(1)}`]) {
      expect(uuidV7Time(other), other).toBeUndefined();
    }
  });
});

describe('PredictionPages', () => {
  const entry = (i: number) => [`id-${i}`, '1', T0 + i, 1, { value: [i] }] as const;
  const bodies = (pages: { body: string }[]) => pages.flatMap((p) => JSON.parse(p.body) as unknown[]);

  it('seals a page at PAGE_ENTRIES entries, per model, and the rest on demand', () => {
    const pages = new PredictionPages();
    for (let i = 0; i < PAGE_ENTRIES + 10; i++) pages.push('a', T0 + i, T0 + i, entry(i));
    pages.push('b', T0, T0, entry(-1));
    expect([pages.entries, pages.sealed.entries]).toEqual([PAGE_ENTRIES + 11, PAGE_ENTRIES]);
    pages.sealAll();
    const taken = pages.sealed.take(10);
    expect(taken.map((p) => [p.model, p.entries, p.idFromMs, p.idToMs, p.lastAtMs])).toEqual([
      ['a', PAGE_ENTRIES, T0, T0 + PAGE_ENTRIES - 1, T0 + PAGE_ENTRIES - 1],
      ['a', 10, T0 + PAGE_ENTRIES, T0 + PAGE_ENTRIES + 9, T0 + PAGE_ENTRIES + 9],
      ['b', 1, T0, T0, T0],
    ]);
    expect(bodies(taken.slice(0, 2))).toEqual(Array.from({ length: PAGE_ENTRIES + 10 }, (_, i) => entry(i)));
    expect(pages.entries).toBe(0);
  });

  it('never lets a page’s id range grow wider than PAGE_SPAN_MS, whichever way the ids go', () => {
    const pages = new PredictionPages();
    const times = [T0, T0 + PAGE_SPAN_MS, T0 + PAGE_SPAN_MS + 1, T0 + 5, T0 - 3, T0 - PAGE_SPAN_MS];
    times.forEach((ms, i) => pages.push('a', ms, T0, entry(i)));
    pages.sealAll();
    const taken = pages.sealed.take(10);
    expect(taken.map((p) => [p.idFromMs - T0, p.idToMs - T0, p.entries])).toEqual([
      [0, PAGE_SPAN_MS, 2],
      [5, PAGE_SPAN_MS + 1, 2],
      [-PAGE_SPAN_MS, -3, 2],
    ]);
    expect(bodies(taken)).toEqual(times.map((_, i) => entry(i)));
  });

  it('writes 64-bit integer outputs as decimal strings, as the inference APIs answer them', () => {
    const pages = new PredictionPages();
    pages.push('a', T0, T0, ['big', '1', T0, 2, { value: [2n ** 63n - 1n, -5n] }]);
    pages.sealAll();
    expect(JSON.parse(pages.sealed.take(1)[0]!.body)).toEqual([['big', '1', T0, 2, { value: ['9223372036854775807', '-5'] }]]);
  });

  it('counts the entries of open and sealed pages, and trims sealed pages to a bound', () => {
    const pages = new PredictionPages();
    for (let i = 0; i < PAGE_ENTRIES * 3 + 5; i++) pages.push('a', T0 + i, T0 + i, entry(i));
    const [first, second] = pages.sealed.take(2);
    expect([first!.idFromMs, second!.idFromMs]).toEqual([T0, T0 + PAGE_ENTRIES]);
    expect(pages.entries).toBe(PAGE_ENTRIES + 5);
    pages.sealed.putBack([first!, second!]);
    expect([pages.entries, pages.sealed.entries]).toEqual([PAGE_ENTRIES * 3 + 5, PAGE_ENTRIES * 3]);
    expect(pages.sealed.trimTo(PAGE_ENTRIES + 1)).toBe(PAGE_ENTRIES * 2);
    expect(pages.sealed.take(10).map((p) => p.idFromMs)).toEqual([T0]);
  });
});
