/**
 * The header and first rows of a CSV file, read in the browser before upload so the user can
 * choose the target column. Only the first chunk of the file is read; Papa Parse reads it
 * (RFC 4180 quoting, any line ending).
 */
import Papa from 'papaparse';

/** What the form shows of a CSV file. */
export interface CsvPreview {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** Bytes read from the start of the file: enough for the header and a few rows of any sane CSV. */
export const PREVIEW_BYTES = 64 * 1024;

/**
 * Parses the header and up to `maxRows` rows of `text`. When `text` is a whole first chunk
 * (PREVIEW_BYTES long), its last line may be cut off, so it is left out.
 */
export function parseCsvPreview(text: string, maxRows = 5): CsvPreview {
  const clean = text.replace(/^\uFEFF/, '');
  const whole = text.length < PREVIEW_BYTES;
  const result = Papa.parse<string[]>(clean, { preview: maxRows + 2, skipEmptyLines: true });
  const records = result.data;
  // A row that ends where the chunk ends is only complete when the chunk was the whole file.
  if (!whole && !result.meta.truncated && !/[\r\n]$/.test(clean)) records.pop();
  const [header = [], ...rows] = records;
  return { header: header.map((h) => h.trim()), rows: rows.slice(0, maxRows) };
}

/** A model name from a file name: `Loans 2024.csv` → `loans-2024`. */
export function modelNameOf(fileName: string): string {
  const base = fileName.replace(/\.[^.]*$/, '').toLowerCase();
  const name = base.replace(/[^a-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  return name.slice(0, 128) || 'model';
}
