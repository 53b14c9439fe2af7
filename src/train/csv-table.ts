/**
 * Reading CSV files into a table of strings with csv-parse (a maintained RFC 4180 parser: quoted
 * fields, embedded separators and newlines, a byte-order mark), with the separator detected from
 * the header row unless given. Typing the values is schema
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
  /**
   * The file line (from 1, the header being line 1) on which each data row starts, for messages;
   * not simply index + 2, since blank lines are skipped and quoted fields may span lines.
   */
  readonly lines?: readonly number[];
  /** sha256 of the file's bytes (hex), for lineage. */
  readonly sha256: string;
}

/** How a CSV file is read. */
export interface CsvOptions {
  /** The field separator; absent: detected from the header row (see {@link detectDelimiter}). */
  readonly delimiter?: string;
}

/** Separators detected in a header row, most usual first (it wins ties). */
const DELIMITERS = [',', ';', '\t', '|'] as const;

/**
 * The separator a CSV file uses: the candidate (comma, semicolon, tab, pipe) found most often in
 * its first line outside quotes. Spreadsheets in many locales write semicolons, and exports from
 * databases often tabs; a header with none of them is one column, read with commas.
 */
export function detectDelimiter(bytes: Uint8Array): string {
  const head = Buffer.from(bytes.subarray(0, Math.min(bytes.length, 64 * 1024))).toString('utf8');
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const char of head) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === '\n' || char === '\r')) break;
    else if (!quoted && counts.has(char)) counts.set(char, counts.get(char)! + 1);
  }
  let best: string = DELIMITERS[0];
  for (const d of DELIMITERS) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

/** Parses CSV text or bytes. Throws BERTH_TRAIN_CSV_INVALID with the parser's reason and line. */
export function parseCsv(data: string | Uint8Array, source = 'the CSV data', options: CsvOptions = {}): CsvTable {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const delimiter = options.delimiter ?? detectDelimiter(bytes);
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw Errors.TRAIN_CSV_INVALID.create(source, `the delimiter ${JSON.stringify(delimiter)} is not one character other than a quote or a line break`);
  }
  // With `info: true` each record comes with where it was read; csv-parse's types do not model it.
  let parsed: { record: string[]; info: { bytes: number } }[];
  try {
    parsed = parse(bytes, { bom: true, delimiter, skip_empty_lines: true, relax_column_count: false, info: true }) as unknown as typeof parsed;
  } catch (error) {
    throw Errors.TRAIN_CSV_INVALID.create(source, (error as Error).message);
  }
  const header = parsed[0]?.record;
  if (!header) throw Errors.TRAIN_CSV_INVALID.create(source, 'it is empty, with no header row');
  const rows: string[][] = new Array(parsed.length - 1);
  const lines: number[] = new Array(parsed.length - 1);
  // csv-parse's own line count goes astray on CRLF inside quoted fields; byte offsets do not. A
  // record starts where the one before ended (`info.bytes`), after any blank lines skipped.
  const LF = 0x0a;
  const CR = 0x0d;
  let offset = parsed[0]!.info.bytes;
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === LF) line++;
  for (let r = 1; r < parsed.length; r++) {
    const { record, info } = parsed[r]!;
    while (offset < info.bytes && (bytes[offset] === LF || bytes[offset] === CR)) if (bytes[offset++] === LF) line++;
    rows[r - 1] = record;
    lines[r - 1] = line;
    for (; offset < info.bytes; offset++) if (bytes[offset] === LF) line++;
  }
  const seen = new Set<string>();
  for (const name of header) {
    if (name.trim() === '') throw Errors.TRAIN_CSV_INVALID.create(source, 'a header field is empty; every column needs a name');
    if (seen.has(name)) throw Errors.TRAIN_CSV_INVALID.create(source, `column '${name}' appears twice in the header`);
    seen.add(name);
  }
  return { source, header, rows, lines, sha256 };
}

/** Reads and parses a CSV file; a file that cannot be read is BERTH_TRAIN_CSV_INVALID too. */
export async function readCsvFile(path: string, options: CsvOptions = {}): Promise<CsvTable> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'there is no such file' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message;
    throw Errors.TRAIN_CSV_INVALID.create(path, reason);
  }
  return parseCsv(bytes, path, options);
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
  const rows = Array.from({ length: indices.length }, (_, i) => table.rows[indices[i]!]!);
  const lines = table.lines;
  return { ...table, rows, ...(lines ? { lines: Array.from({ length: indices.length }, (_, i) => lines[indices[i]!]!) } : {}) };
}

/** The file line a data row starts on, from 1 (the header is line 1). */
export function rowLine(table: CsvTable, index: number): number {
  return table.lines?.[index] ?? index + 2;
}
