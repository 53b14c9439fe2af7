/**
 * CSV cells as spreadsheets read them: a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage
 * return is run as a formula when the file is opened, so a label learned from someone else's data
 * (`=HYPERLINK(...)`) could act on the reader's machine. Such cells get a leading apostrophe,
 * which spreadsheets show as text; numbers (`-1.5`, `+3`) are left as they are.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** The cell as written to a CSV file meant for people and spreadsheets. */
export function spreadsheetSafe(cell: string): string {
  return FORMULA_START.test(cell) && !Number.isFinite(Number(cell)) ? `'${cell}` : cell;
}
