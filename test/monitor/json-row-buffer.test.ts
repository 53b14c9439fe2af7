/** JsonArrayBuilder and JsonRowBuffer: rows in, JSON array batches out, in order, with the bound kept on failure. */
import { describe, expect, it } from 'vitest';
import { JsonArrayBuilder } from '../../src/monitor/json-array-builder.js';
import { JsonRowBuffer } from '../../src/monitor/json-row-buffer.js';

describe('JsonArrayBuilder', () => {
  it('gives an empty array when nothing was pushed, and starts afresh after each take', () => {
    const builder = new JsonArrayBuilder();
    expect(builder.take()).toBe('[]');
    builder.push('1');
    builder.push('{"a":[2]}');
    expect([builder.count, builder.take()]).toEqual([2, '[1,{"a":[2]}]']);
    expect([builder.count, builder.take()]).toEqual([0, '[]']);
    builder.push('"again"');
    expect(builder.take()).toBe('["again"]');
  });
});

describe('JsonRowBuffer', () => {
  it('seals full batches as JSON arrays, in order, and the rest on demand', () => {
    const buffer = new JsonRowBuffer(3);
    for (let i = 0; i < 7; i++) buffer.push(JSON.stringify([i, `row ${i}`]));
    expect(buffer.rows).toBe(7);
    expect(buffer.batches).toBe(2);
    const full = [buffer.shift()!, buffer.shift()!];
    expect(buffer.shift()).toBeUndefined();
    buffer.seal();
    const batches = [...full, buffer.shift()!];
    expect(batches.map((b) => b.rows)).toEqual([3, 3, 1]);
    expect(batches.flatMap((b) => JSON.parse(b.text) as unknown[])).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => [i, `row ${i}`]));
    expect(buffer.shift()).toBeUndefined();
    expect(buffer.rows).toBe(0);
  });

  it('keeps any text intact: quotes, backslashes, non-ASCII and astral characters', () => {
    const buffer = new JsonRowBuffer(100);
    const values = ['a "quoted" \\ value', 'naïve café', '東京', '🚀 launch', ''];
    for (const value of values) buffer.push(JSON.stringify({ value }));
    buffer.seal();
    expect(JSON.parse(buffer.shift()!.text)).toEqual(values.map((value) => ({ value })));
  });

  it('grows past its first buffer without losing rows', () => {
    const buffer = new JsonRowBuffer(1_000_000);
    const long = 'x'.repeat(10_000);
    for (let i = 0; i < 50; i++) buffer.push(JSON.stringify([i, long]));
    buffer.seal();
    const rows = JSON.parse(buffer.shift()!.text) as [number, string][];
    expect(rows).toHaveLength(50);
    expect(rows.every(([i, text], j) => i === j && text === long)).toBe(true);
  });

  it('takes a failed batch back in front, and trims the newest batches beyond a bound', () => {
    const buffer = new JsonRowBuffer(2);
    for (let i = 0; i < 6; i++) buffer.push(String(i));
    const first = buffer.shift()!;
    buffer.unshift(first);
    expect(buffer.rows).toBe(6);
    expect(buffer.trim(3)).toBe(4);
    expect(buffer.rows).toBe(2);
    expect(JSON.parse(buffer.shift()!.text)).toEqual([0, 1]);
  });
});
