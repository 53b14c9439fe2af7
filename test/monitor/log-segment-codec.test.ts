/** The log segment format: what goes in comes back, column by column, and the Bloom filter of other ids. */
import { readFileSync } from 'node:fs';
import { v7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { bloomFilterOf, bloomMayHold } from '../../src/monitor/bloom-filter.js';
import { encodeSegment, type LogEntry, requestKey, SegmentBuilder, SegmentReader, uuidV7Time } from '../../src/monitor/log-segment-codec.js';
import { fixtureEntries } from '../helpers/segment-fixture.js';

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
    const index = await reader.idIndex();
    expect(entries.map((e) => index.find(requestKey(e.requestId)))).toEqual([0, 1, 2]);
    expect(entries.map((e) => index.find(requestKey(e.requestId.toLowerCase())))).toEqual([0, 1, 2]);
    expect(index.find(requestKey(v7({ msecs: T0 })))).toBeUndefined();
    expect(index.find(requestKey('caller'))).toBeUndefined();
  });

  it('reads a segment of the first writer (format 1), and writes the same bytes from the same entries', async () => {
    const file = readFileSync(new URL('../fixtures/segments/format-1.seg', import.meta.url));
    const entries = fixtureEntries();
    const reader = new SegmentReader(file);
    const encodings = Object.fromEntries(reader.header.columns.map((c) => [c.name, c.encoding]));
    // Every encoding: FP32, float64, a dictionary, and JSON past the dictionary's limit.
    expect(encodings).toMatchObject({ 'out.p': 'f32', 'out.label': 'dict', 'out.extra': 'dict', 'in.age': 'f64', 'in.note': 'json', 'id.text': 'json' });
    expect(await reader.requestIds()).toEqual(entries.map((e) => (e.requestId.startsWith('caller') ? e.requestId : e.requestId.toLowerCase())));
    expect(await reader.arrivals()).toEqual(entries.map((e) => e.at));
    expect(await reader.versions()).toEqual(entries.map((e) => e.version));
    const index = await reader.idIndex();
    expect(entries.map((e) => index.find(requestKey(e.requestId)))).toEqual(entries.map((_, i) => i));
    const picked = [0, 7, 9, 11, 100, 4999];
    const read = await reader.entriesAt(picked, { features: true });
    expect(read.map((e) => [e.version, e.at, e.rows, e.outputs, e.features])).toEqual(picked.map((i) => {
      const e = entries[i]!;
      return [e.version, e.at, e.rows, e.outputs, e.features];
    }));
    expect((await encodeSegment(entries)).equals(file)).toBe(true);
  });

  it('gives back entries not yet written as their segment will, whatever encodings its columns turn to', async () => {
    const builder = new SegmentBuilder();
    const entries: LogEntry[] = [];
    for (let i = 0; i < 4200; i++) {
      entries.push({
        requestId: i === 3 ? `r-${i}` : v7({ msecs: T0 + i }),
        at: T0 + i,
        version: i % 2 === 0 ? 'a' : 'b',
        rows: 1,
        // Numbers, then a text (a dictionary from then on); more distinct texts than a dictionary keeps (JSON).
        outputs: { n: [i === 50 ? 'many' : i % 1000], t: [`t${i}`], ...(i > 10 ? { late: [Math.fround((i % 100) / 7)] } : {}) },
        features: i % 5 === 0 ? { x: [i / 3] } : undefined,
      });
    }
    for (const entry of entries) builder.add(entry);
    const reader = new SegmentReader(await builder.encode());
    expect(Object.fromEntries(reader.header.columns.map((c) => [c.name, c.encoding]))).toMatchObject({ 'out.n': 'dict', 'out.t': 'json', 'out.late': 'dict', 'in.x': 'dict' });
    const picked = [0, 3, 10, 11, 50, 4199];
    const stored = await reader.entriesAt(picked, { features: true });
    const pending = picked.map((i) => builder.entryAt(builder.find(requestKey(entries[i]!.requestId))!, entries[i]!.requestId, true));
    expect(pending).toEqual(stored.map((e, h) => ({ ...e, requestId: entries[picked[h]!]!.requestId })));
    expect(stored[4]).toMatchObject({ version: 'a', outputs: { n: ['many'], t: ['t50'], late: [Math.fround(50 / 7)] }, features: { x: [50 / 3] } });
    expect(stored[2]!.outputs).toEqual({ n: [10], t: ['t10'] });
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
