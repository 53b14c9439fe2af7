/**
 * The top-level training entry point: a CSV file (or its bytes) in, an ONNX model with its
 * schema, pipeline, metrics and lineage out. `berth train` is a thin layer over this.
 */
import { type CsvTable, parseCsv, readCsvFile } from './csv-table.js';
import { type TrainOptions, type TrainResult, trainFromTable } from './train-model.js';

/** Where the CSV comes from: a file path, or its contents with a name for messages. */
export type CsvSource = ({ readonly file: string } | { readonly data: string | Uint8Array; readonly name?: string }) & {
  /** The field separator; absent: detected from the header row. */
  readonly delimiter?: string;
};

/** Options for {@link trainFromCsv}: the source, an optional validation file, and every other {@link TrainOptions} setting. */
export type TrainFromCsvOptions = Omit<TrainOptions, 'validation'> & {
  readonly csv: CsvSource;
  /** A fixed validation set (see TrainOptions.validation), read with the same delimiter rule. */
  readonly validationCsv?: CsvSource | undefined;
};

/** Everything training produced, plus the parsed table (for reports and the reference profile). */
export interface TrainFromCsvResult extends TrainResult {
  readonly table: CsvTable;
}

/**
 * Reads a CSV, trains and exports a model.
 *
 * @example
 *   const result = await trainFromCsv({ csv: { file: 'loans.csv' }, target: 'defaulted', onProgress: (p) => bar.update(p.fraction) });
 *   await writeFile('model.onnx', result.onnx);
 */
export async function trainFromCsv(options: TrainFromCsvOptions): Promise<TrainFromCsvResult> {
  const { csv, validationCsv, ...trainOptions } = options;
  options.onProgress?.({ stage: 'read', completed: 0, total: 1, fraction: 0, message: `reading ${sourceName(csv)}` });
  const table = await readTable(csv);
  const validation = validationCsv ? await readTable(validationCsv) : undefined;
  const result = await trainFromTable(table, { ...trainOptions, ...(validation ? { validation } : {}) });
  return { ...result, table };
}

function sourceName(csv: CsvSource): string {
  return 'file' in csv ? csv.file : (csv.name ?? 'the CSV data');
}

function readTable(csv: CsvSource): Promise<CsvTable> {
  const csvOptions = csv.delimiter === undefined ? {} : { delimiter: csv.delimiter };
  return 'file' in csv ? readCsvFile(csv.file, csvOptions) : Promise.resolve(parseCsv(csv.data, sourceName(csv), csvOptions));
}
