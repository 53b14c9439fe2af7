/**
 * The header and first rows of a CSV file, read in the browser before upload so the user can
 * choose the target column. Only the first chunk of the file is read; quoting follows RFC 4180.
 */

/** What the form shows of a CSV file. */
export interface CsvPreview {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** Bytes read from the start of the file: enough for the header and a few rows of any sane CSV. */
export const PREVIEW_BYTES = 64 * 1024;

/** Parses the header and up to `maxRows` rows of `text`; a row cut off at the end is dropped. */
export function parseCsvPreview(text: string, maxRows = 5): CsvPreview {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let complete = false;
  const clean = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < clean.length && records.length <= maxRows; i++) {
    const c = clean[i]!;
    complete = false;
    if (quoted) {
      if (c === '"' && clean[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && clean[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      complete = true;
    } else field += c;
  }
  // The last line counts when the text ended there (a whole small file), not when the chunk cut it.
  if (!complete && (field !== '' || record.length > 0) && text.length < PREVIEW_BYTES) {
    record.push(field);
    records.push(record);
  }
  const [header = [], ...rows] = records.filter((r) => !(r.length === 1 && r[0] === ''));
  return { header: header.map((h) => h.trim()), rows: rows.slice(0, maxRows) };
}

/** A model name from a file name: `Loans 2024.csv` → `loans-2024`. */
export function modelNameOf(fileName: string): string {
  const base = fileName.replace(/\.[^.]*$/, '').toLowerCase();
  const name = base.replace(/[^a-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  return name.slice(0, 128) || 'model';
}
