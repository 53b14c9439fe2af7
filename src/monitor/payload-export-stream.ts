/**
 * The payload log as an export file, the one owner of its shape for `berth payloads` and
 * `GET /api/models/{name}/payloads`: columns `request_id`, `row`, `at`, `version`, the inputs by
 * feature name, the outputs as `prediction_<name>`, and `actual` (the truth sent as feedback).
 * CSV has a header row and cells guarded against spreadsheet formulas (empty for none, JSON for
 * anything but text and numbers); JSON Lines has one object per row with the same keys, values as
 * logged and null for none. The file is a stream its reader pulls, so one segment at a time is
 * in memory however long the range.
 *
 * @example
 *   const query = payloadExportQuery({ since: '7d', labelled: true }, Date.now());
 *   const { stream, counts } = await payloadExport(stores, 'loans', { ...query, format: 'csv' });
 *   await pipeline(stream, createWriteStream('loans.csv'));
 */
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import { Errors } from '../core/errors.js';
import { spreadsheetSafe } from '../core/spreadsheet-safe.js';
import { jsonFloat } from '../core/tensor.js';
import type { FeedbackStore } from '../store/index.js';
import { payloadColumns, payloadRows } from './payload-export.js';
import { type SegmentStores, SegmentReaders } from './log-segments.js';
import { parseInstant } from './time-range.js';

/** The formats of an export. */
export const PAYLOAD_EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type PayloadExportFormat = (typeof PAYLOAD_EXPORT_FORMATS)[number];

/** The media type of each format, for `Content-Type` and `Accept`. */
export const PAYLOAD_EXPORT_MEDIA_TYPES: Readonly<Record<PayloadExportFormat, string>> = { csv: 'text/csv; charset=utf-8', jsonl: 'application/x-ndjson' };

/** The default `since` of an export. */
export const DEFAULT_PAYLOAD_SINCE = '7d';

/** What to export, parsed by {@link payloadExportQuery}. */
export interface PayloadExportQuery {
  /** The range of arrival times [from, to), epoch ms. */
  readonly from: number;
  readonly to: number;
  /** Only rows with feedback. */
  readonly labelled: boolean;
  /** At most this many rows, or undefined for all. */
  readonly limit: number | undefined;
}

/** Options of {@link payloadExport}. */
export interface PayloadExportOptions extends PayloadExportQuery {
  readonly format: PayloadExportFormat;
}

/** Rows written so far; final once the stream has ended. */
export interface PayloadExportCounts {
  readonly rows: number;
  /** Rows with the truth. */
  readonly labelled: number;
}

/** An export being written. */
export interface PayloadExport {
  /** The file's bytes, produced as they are read. */
  readonly stream: Readable;
  readonly counts: PayloadExportCounts;
}

/** An export's query as given on the command line or in a query string, before {@link payloadExportQuery}. */
export interface PayloadExportRequest {
  readonly since?: unknown;
  readonly until?: unknown;
  readonly labelled?: unknown;
  readonly limit?: unknown;
}

/**
 * An export's query as given on the command line or in a query string: `since` (default 7d) and
 * `until` (default now) as ISO times or durations ago, `labelled`, `limit` (a whole number from 1).
 * Throws BERTH_MONITOR_RANGE_INVALID for a bad time or an empty range, BERTH_REQUEST_INVALID for a bad limit or labelled.
 */
export function payloadExportQuery(query: PayloadExportRequest, now: number): PayloadExportQuery {
  const untilGiven = query.until !== undefined && query.until !== '';
  // Without `until`, a request that came this very millisecond is included.
  const to = untilGiven ? parseInstant('until', query.until, now) : now + 1;
  const from = parseInstant('since', query.since === undefined || query.since === '' ? DEFAULT_PAYLOAD_SINCE : query.since, now);
  if (!(from < to)) {
    throw Errors.MONITOR_RANGE_INVALID.create('since', String(query.since), untilGiven ? `it is not before until (${new Date(to).toISOString()})` : 'it is not in the past');
  }
  return { from, to, labelled: parseLabelled(query.labelled), limit: parseLimit(query.limit) };
}

function parseLabelled(value: unknown): boolean {
  if (value === undefined || value === false || value === 'false' || value === '0') return false;
  if (value === true || value === '' || value === 'true' || value === '1') return true;
  throw Errors.REQUEST_INVALID.create(`labelled=${String(value)} is not true or false`);
}

function parseLimit(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  const limit = typeof value === 'number' ? value : /^\d+$/.test(String(value)) ? Number(value) : NaN;
  if (!Number.isSafeInteger(limit) || limit < 1) throw Errors.REQUEST_INVALID.create(`limit=${String(value)} is not a whole number from 1`);
  return limit;
}

/** Rows encoded at once: few enough to stay small, enough that encoding and writes are not per row. */
const BATCH_ROWS = 256;

const CSV_OPTIONS = { cast: { string: spreadsheetSafe, boolean: (value: boolean) => String(value) } };

/**
 * The export of `model`'s payload log in `options`' range and format. Its columns are read first,
 * so a store that fails says so before an answer has begun; the rows are read as the stream is.
 */
export async function payloadExport(
  stores: SegmentStores & { readonly feedback: FeedbackStore },
  model: string,
  options: PayloadExportOptions,
  readers: SegmentReaders = new SegmentReaders(stores),
): Promise<PayloadExport> {
  const counts = { rows: 0, labelled: 0 };
  const range = { from: options.from, to: options.to, labelled: options.labelled };
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const encode = options.format === 'csv' ? (header: readonly string[], rows: readonly unknown[][]) => stringify(rows.map((row) => row.map(cell)), CSV_OPTIONS) : jsonLines;
  const columns = await payloadColumns(stores, model, range, readers);
  async function* chunks(): AsyncGenerator<string> {
    const header = ['request_id', 'row', 'at', 'version', ...columns.features, ...columns.outputs.map((name) => `prediction_${name}`), 'actual'];
    if (options.format === 'csv') yield stringify([header], CSV_OPTIONS);
    let batch: unknown[][] = [];
    for await (const row of payloadRows(stores, model, range, readers)) {
      if (counts.rows >= limit) break;
      counts.rows += 1;
      if (row.actual !== undefined) counts.labelled += 1;
      batch.push([
        row.requestId,
        row.row,
        new Date(row.at).toISOString(),
        row.version,
        ...columns.features.map((name) => row.features[name] ?? null),
        ...columns.outputs.map((name) => row.prediction[name] ?? null),
        row.actual ?? null,
      ]);
      if (batch.length >= BATCH_ROWS) {
        yield encode(header, batch);
        batch = [];
      }
    }
    if (batch.length > 0) yield encode(header, batch);
  }
  return { stream: Readable.from(chunks(), { objectMode: false }), counts };
}

/** Rows as JSON Lines, one object per row keyed by the header. */
function jsonLines(header: readonly string[], rows: readonly unknown[][]): string {
  let text = '';
  for (const row of rows) {
    const record: Record<string, unknown> = {};
    header.forEach((name, i) => (record[name] = row[i]));
    text += `${JSON.stringify(record, row.some(nonFinite) ? nonFiniteAsText : undefined)}\n`;
  }
  return text;
}

/**
 * Whether a cell is a non-finite float. Only a number column's cells can be (values of JSON
 * columns were read with JSON.parse), so the rows' top level is all that is looked at.
 */
function nonFinite(value: unknown): boolean {
  return typeof value === 'number' && !Number.isFinite(value);
}

/** A JSON.stringify replacer writing non-finite floats as the answers do ("NaN", "Infinity", "-Infinity"), not null. */
function nonFiniteAsText(_key: string, value: unknown): unknown {
  return typeof value === 'number' ? jsonFloat(value) : value;
}

/** A value as a CSV cell: empty for none, JSON for anything but text and numbers (a non-finite float as NaN, Infinity, -Infinity). */
function cell(value: unknown): string | number {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
