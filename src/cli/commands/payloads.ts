/**
 * `berth payloads <model> [--since 7d] [--labelled] -o data.csv`: what the payload log holds for a
 * model, as CSV: `request_id`, `row`, `at`, `version`, the inputs by feature name, the outputs as
 * `prediction_<name>`, and `actual` (the truth sent as feedback, empty when none came). Reads the
 * metadata database and the blob store that belongs with it (openLogBlobStore), as the server writes them.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { Config } from '../../core/config.js';
import { Errors } from '../../core/errors.js';
import { parseInstant, payloadColumns, payloadRows, SegmentReaders } from '../../monitor/index.js';
import { blobLocation } from '../with-registry.js';
import { monitorStores, openLogBlobStore, openMetadataStore } from '../../store/index.js';
import { spreadsheetSafe } from '../spreadsheet-safe.js';
import { writeAtomically } from '../write-atomically.js';

/** Options of {@link payloadsCommand}. */
export interface PayloadsCommandOptions {
  readonly config: Config;
  readonly model: string;
  /** How far back, e.g. `7d` (default), or an ISO time. */
  readonly since?: string | undefined;
  /** Only rows with feedback. */
  readonly labelled?: boolean | undefined;
  /** The CSV file to write. */
  readonly output: string;
  /** The clock (tests). */
  readonly now?: () => number;
}

/** What was exported. */
export interface PayloadsExport {
  readonly model: string;
  readonly rows: number;
  readonly labelled: number;
  readonly output: string;
  readonly from: string;
  readonly to: string;
}

/** Every text cell, the header's included, guarded against being run as a spreadsheet formula. */
const SPREADSHEET_SAFE = { cast: { string: spreadsheetSafe, boolean: (value: boolean) => String(value) } };

/** Writes the model's logged payloads in the range to `output`. Throws BERTH_MONITOR_RANGE_INVALID for a bad `since`. */
export async function payloadsCommand(options: PayloadsCommandOptions): Promise<PayloadsExport> {
  const { config } = options;
  const now = (options.now ?? Date.now)();
  const from = parseInstant('since', options.since ?? '7d', now);
  if (!(from < now)) throw Errors.MONITOR_RANGE_INVALID.create('since', String(options.since), 'it is not in the past');
  const store = await openMetadataStore({ home: config.store.home, databaseUrl: config.store.databaseUrl, schema: config.store.databaseSchema });
  try {
    const { blobs } = await openLogBlobStore({ ...blobLocation(config), home: config.store.home, databaseUrl: config.store.databaseUrl });
    try {
      const stores = monitorStores(store, { blobs, logWriter: false });
      const readers = new SegmentReaders(stores);
      const range = { from, to: now + 1, labelled: options.labelled === true };
      const columns = await payloadColumns(stores, options.model, range, readers);
      let rows = 0;
      let labelled = 0;
      async function* records() {
        yield ['request_id', 'row', 'at', 'version', ...columns.features, ...columns.outputs.map((name) => `prediction_${name}`), 'actual'];
        for await (const row of payloadRows(stores, options.model, range, readers)) {
          rows += 1;
          if (row.actual !== undefined) labelled += 1;
          yield [
            row.requestId,
            row.row,
            new Date(row.at).toISOString(),
            row.version,
            ...columns.features.map((name) => cell(row.features[name])),
            ...columns.outputs.map((name) => cell(row.prediction[name])),
            cell(row.actual),
          ];
        }
      }
      await writeAtomically(options.output, (file) => pipeline(Readable.from(records()), stringify(SPREADSHEET_SAFE), file));
      return { model: options.model, rows, labelled, output: options.output, from: new Date(from).toISOString(), to: new Date(now).toISOString() };
    } finally {
      blobs.close();
    }
  } finally {
    await store.close();
  }
}

/** A value as a CSV cell: empty for none, JSON for anything but text and numbers. */
function cell(value: unknown): string | number {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
