/**
 * The log writer under a slow store: while one write of full buffers runs, requests keep filling
 * the buffers turn after turn, and the writer must queue one more write for all of them, not one
 * per turn (a chain of promises that grew by thousands under load).
 */
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { PredictionLog, PredictionLogWriter, readLogged, SegmentReaders } from '../../dist/monitor/index.js';
import { FileBlobStore, monitorStores, openMetadataStore } from '../../dist/store/index.js';
import { tempDir } from '../helpers/models.js';

describe('PredictionLogWriter', () => {
  it('queues one write behind a slow one however many turns the buffers stay full', async () => {
    const home = tempDir();
    const store = await openMetadataStore({ home });
    const blobs = new FileBlobStore(join(home, 'blobs'));
    // The real file store, its first segment write held until released: a store that is slow now.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let puts = 0;
    const slowBlobs = Object.assign(Object.create(blobs) as FileBlobStore, {
      put: async (path: string) => {
        puts += 1;
        if (puts === 1) await held;
        return blobs.put(path);
      },
    });
    const stores = monitorStores(store, { logWriter: false, blobs: slowBlobs });
    const log = new PredictionLog({
      predictions: true,
      payloads: () => ({ rate: 0, retentionDays: 30, fields: ['outputs'] }),
      sampleRate: 0,
      sampleMaxPerMinute: 0,
      sampleMaxBytes: 1000,
      segmentSealMs: 3_600_000,
      segmentMaxEntries: 10,
      maxPending: 1_000_000,
      now: Date.now,
    });
    let flushes = 0;
    const flush = log.flush.bind(log);
    log.flush = (...args) => {
      flushes += 1;
      return flush(...args);
    };
    const errors: unknown[] = [];
    const writer = new PredictionLogWriter(log, stores, (error) => errors.push(error));
    const add = (i: number) =>
      writer.add({ model: 'm', version: '1', requestId: `r${i}`, at: Date.now(), protocol: 'predict', rows: 1, latencyMs: 1, outcome: 'success', outputs: { value: [i] } });

    // 2,000 requests over 2,000 turns, the first segment's write held all along.
    for (let i = 0; i < 2000; i++) {
      add(i);
      await nextTurn();
    }
    expect(flushes).toBe(1);
    expect(writer.fullWritePending).toBe(true);
    release();
    await writer.flush({ seal: 'all' });
    // The held write, the one queued behind it, and the final flush.
    expect(flushes).toBe(3);
    expect(errors).toEqual([]);

    const values: number[] = [];
    const readers = new SegmentReaders(stores, () => undefined);
    for await (const entry of readLogged(stores, readers, 'predictions', 'm', 0, Date.now() + 60_000)) values.push(entry.outputs.value![0] as number);
    expect(values.sort((a, b) => a - b)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    await store.close();
  });
});
