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

/** Options for {@link trainFromCsv}: the source and every {@link TrainOptions} setting. */
export type TrainFromCsvOptions = TrainOptions & { readonly csv: CsvSource };

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
  const { csv, ...trainOptions } = options;
  const source = 'file' in csv ? csv.file : (csv.name ?? 'the CSV data');
  options.onProgress?.({ stage: 'read', completed: 0, total: 1, fraction: 0, message: `reading ${source}` });
  const csvOptions = csv.delimiter === undefined ? {} : { delimiter: csv.delimiter };
  const table = 'file' in csv ? await readCsvFile(csv.file, csvOptions) : parseCsv(csv.data, source, csvOptions);
  const result = await trainFromTable(table, trainOptions);
  return { ...result, table };
}
