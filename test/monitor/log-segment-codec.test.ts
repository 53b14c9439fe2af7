/** The log segment format: what goes in comes back, column by column, and the Bloom filter of other ids. */
import { v7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { bloomFilterOf, bloomMayHold } from '../../src/monitor/bloom-filter.js';
import { encodeSegment, type LogEntry, SegmentReader, segmentKey, uuidV7Time } from '../../src/monitor/log-segment-codec.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');

describe('log segment codec', () => {
  it('gives back ids, times, versions, rows and every kind of column exactly', async () => {
    const entries: LogEntry[] = [
      { requestId: v7({ msecs: T0 }), at: T0, version: '3', rows: 1, outputs: { label: ['yes'], p: [Math.fround(0.7)] }, features: { age: [41], region: ['north'] } },
      { requestId: 'caller\'s "id" 東京', at: T0 + 5, version: '3', rows: 2, outputs: { label: ['no', 'yes'], p: [Math.fround(0.25), Math.fround(0.5)] }, features: { age: [18, null], region: ['south', 'east'] } },
      { requestId: v7({ msecs: T0 - 60_000 }).toUpperCase(), at: T0 + 7, version: '4', rows: 1, outputs: { value: [0.1], big: [9007199254740993n] }, features: { age: [70.5] } },
    ];
    const reader = new SegmentReader(await encodeSegment(entries));
    expect(reader.header).toMatchObject({ entries: 3, rows: 4, versions: ['3', '4'] });
    expect(await reader.requestIds()).toEqual([entries[0]!.requestId, entries[1]!.requestId, entries[2]!.requestId.toLowerCase()]);
    expect(await reader.arrivals()).toEqual([T0, T0 + 5, T0 + 7]);
    expect(await reader.versions()).toEqual(['3', '3', '4']);
    expect(await reader.rows()).toEqual([1, 2, 1]);
    expect(reader.columnNames('out')).toEqual(['label', 'p', 'value', 'big']);
    const encodings = Object.fromEntries(reader.header.columns.map((c) => [c.name, c.encoding]));
    // A column some requests lack holds nulls, so it is a dictionary even where its values are FP32.
    expect(encodings).toMatchObject({ 'out.p': 'dict', 'out.label': 'dict', 'in.age': 'dict', 'out.value': 'dict' });
    expect(await reader.columnsOf('out', [0, 1, 2])).toEqual([
      { label: ['yes'], p: [Math.fround(0.7)] },
      { label: ['no', 'yes'], p: [Math.fround(0.25), Math.fround(0.5)] },
      { value: [0.1], big: ['9007199254740993'] },
    ]);
    expect(await reader.columnsOf('in', [1, 2])).toEqual([{ age: [18, null], region: ['south', 'east'] }, { age: [70.5] }]);
    const positions = await reader.positions();
    expect(entries.map((e) => positions.get(segmentKey(e.requestId)))).toEqual([0, 1, 2]);
    expect(positions.get(segmentKey(v7({ msecs: T0 })))).toBeUndefined();
  });

  it('keeps float64 numbers as float64 and refuses what is not a segment', async () => {
    const reader = new SegmentReader(await encodeSegment([{ requestId: 'a', at: T0, version: '1', rows: 2, outputs: { value: [0.1, -1e300] } }]));
    expect(reader.header.columns.find((c) => c.name === 'out.value')?.encoding).toBe('f64');
    const fp32 = new SegmentReader(await encodeSegment([{ requestId: 'b', at: T0, version: '1', rows: 2, outputs: { p: [Math.fround(0.1), 0.5] } }]));
    expect(fp32.header.columns.find((c) => c.name === 'out.p')?.encoding).toBe('f32');
    expect(await fp32.values('out', 'p')).toEqual([Math.fround(0.1), 0.5]);
    expect(await reader.values('out', 'value')).toEqual([0.1, -1e300]);
    expect(() => new SegmentReader(Buffer.from('not a segment'))).toThrow('not a Berth log segment');
  });

  it('reads the time of a UUIDv7 in either case, and nothing from other ids', () => {
    expect(uuidV7Time(v7({ msecs: T0 }))).toBe(T0);
    expect(uuidV7Time(v7({ msecs: T0 }).toUpperCase())).toBe(T0);
    expect(uuidV7Time('7a8e1a4c-1b2c-4d3e-8f90-0123456789ab')).toBeUndefined();
    expect(uuidV7Time('r-1')).toBeUndefined();
  });
});

describe('Bloom filter of other ids', () => {
  it('holds every id put in, and few of the others', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `caller-${i}`);
    const filter = bloomFilterOf(ids);
    expect(ids.every((id) => bloomMayHold(filter, id))).toBe(true);
    const others = Array.from({ length: 10_000 }, (_, i) => `other-${i}`).filter((id) => bloomMayHold(filter, id)).length;
    expect(others).toBeLessThan(300);
  });
});
