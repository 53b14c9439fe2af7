/** `berth drift reference.csv current.csv`: offline drift between two files, by the monitor's own code. */
import { Errors } from '../../core/errors.js';
import { compareDatasets, type DatasetComparison, type DriftReportOptions } from '../../monitor/index.js';
import { type CsvTable, readCsvFile } from '../../train/index.js';

/** Options of `berth drift`. */
export interface DriftCommandOptions {
  readonly reference: string;
  readonly current: string;
  /** A column compared as the prediction (prediction drift) rather than as a feature. */
  readonly target?: string | undefined;
  readonly method?: DriftReportOptions['method'] | undefined;
  readonly correction?: DriftReportOptions['correction'] | undefined;
  /** Field separator of both files; absent: detected from each header row. */
  readonly delimiter?: string | undefined;
  /** Compare only these columns (and the target). */
  readonly columns?: readonly string[] | undefined;
  /** Leave these columns out. */
  readonly exclude?: readonly string[] | undefined;
}

/** The comparison, with the files' names and sizes for the report's header. */
export interface DriftCommandResult extends DatasetComparison {
  readonly files: { readonly reference: string; readonly current: string };
}

/**
 * Reads both CSV files (a header row each) and compares the current one with the reference; kinds
 * are inferred from the reference by the trainer's rule (identifiers, dates and free text are left
 * out and listed in `skipped`). Throws BERTH_TRAIN_CSV_INVALID for unreadable files and
 * BERTH_TRAIN_TARGET_NOT_FOUND when `target` is not a column of the reference.
 */
export async function driftCommand(options: DriftCommandOptions): Promise<DriftCommandResult> {
  const csv = options.delimiter === undefined ? {} : { delimiter: options.delimiter };
  const [reference, current] = await Promise.all([readCsvFile(options.reference, csv), readCsvFile(options.current, csv)]);
  if (options.target !== undefined && !reference.header.includes(options.target)) {
    throw Errors.TRAIN_TARGET_NOT_FOUND.create(options.target, reference.header);
  }
  const comparison = compareDatasets(columnsOf(reference), columnsOf(current), {
    ...(options.target !== undefined ? { target: options.target } : {}),
    ...(options.method !== undefined ? { method: options.method } : {}),
    ...(options.correction !== undefined ? { correction: options.correction } : {}),
    ...(options.columns?.length ? { columns: options.columns } : {}),
    ...(options.exclude?.length ? { exclude: options.exclude } : {}),
  });
  return { ...comparison, files: { reference: options.reference, current: options.current } };
}

function columnsOf(table: CsvTable): Record<string, string[]> {
  return Object.fromEntries(table.header.map((name, j) => [name, table.rows.map((row) => row[j]!)]));
}
