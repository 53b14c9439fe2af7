/**
 * Reading CSV files into a table of strings with csv-parse (a maintained RFC 4180 parser: quoted
 * fields, embedded separators and newlines, a byte-order mark). Typing the values is schema
 * inference's job, so a number is never misread before it is seen in context.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { Errors } from '../core/errors.js';

/** A parsed CSV file: a header row and data rows of equal length. */
export interface CsvTable {
  /** Where the data came from, for messages. */
  readonly source: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** sha256 of the file's bytes (hex), for lineage. */
  readonly sha256: string;
}

/** Parses CSV text or bytes. Throws BERTH_TRAIN_CSV_INVALID with the parser's reason and line. */
export function parseCsv(data: string | Uint8Array, source = 'the CSV data'): CsvTable {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  let records: string[][];
  try {
    records = parse(bytes, { bom: true, skip_empty_lines: true, relax_column_count: false });
  } catch (error) {
    throw Errors.TRAIN_CSV_INVALID.create(source, (error as Error).message);
  }
  const [header, ...rows] = records;
  if (!header) throw Errors.TRAIN_CSV_INVALID.create(source, 'it is empty, with no header row');
  const seen = new Set<string>();
  for (const name of header) {
    if (name.trim() === '') throw Errors.TRAIN_CSV_INVALID.create(source, 'a header field is empty; every column needs a name');
    if (seen.has(name)) throw Errors.TRAIN_CSV_INVALID.create(source, `column '${name}' appears twice in the header`);
    seen.add(name);
  }
  return { source, header, rows, sha256 };
}

/** Reads and parses a CSV file. */
export async function readCsvFile(path: string): Promise<CsvTable> {
  return parseCsv(await readFile(path), path);
}

/** The table's rows (all, or those at `indices`) as records keyed by column name. */
export function tableRecords(table: CsvTable, indices?: ArrayLike<number>): Record<string, string>[] {
  const count = indices ? indices.length : table.rows.length;
  const out: Record<string, string>[] = new Array(count);
  const header = table.header;
  for (let i = 0; i < count; i++) {
    const row = table.rows[indices ? indices[i]! : i]!;
    const record: Record<string, string> = {};
    for (let c = 0; c < header.length; c++) record[header[c]!] = row[c]!;
    out[i] = record;
  }
  return out;
}

/** A table of only the rows at `indices` (same header, source and digest). */
export function selectRows(table: CsvTable, indices: ArrayLike<number>): CsvTable {
  return { ...table, rows: Array.from({ length: indices.length }, (_, i) => table.rows[indices[i]!]!) };
}
