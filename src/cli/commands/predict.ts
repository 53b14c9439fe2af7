/**
 * `berth predict <model> data.csv -o out.csv`: batch scoring of a CSV file with a registered
 * version, through the same pipeline the server runs, one output row per input row in order.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { spreadsheetSafe } from '../../core/spreadsheet-safe.js';
import { writeAtomically } from '../write-atomically.js';
import type { Config } from '../../core/config.js';
import { Errors } from '../../core/errors.js';
import type { PipelineOutput } from '../../core/pipeline-spec.js';
import type { AuditActor } from '../../registry/index.js';
import type { Prediction } from '../../runtime/pipeline.js';
import { type CsvTable, readCsvFile, rowLine, scoreRows, tableRecords } from '../../train/index.js';
import { formatFloat32 } from '../format-float32.js';
import { scoreRemotely } from '../remote-scoring.js';
import { withRegistry } from '../with-registry.js';

/** Options of `berth predict`. */
export interface PredictCommandOptions {
  readonly config: Config;
  /** `model` (its production version, else its latest), `model@alias` or `model:version`. */
  readonly model: string;
  /** The CSV file to score. */
  readonly data: string;
  /** The CSV file to write; undefined writes to `stdout`. */
  readonly output?: string | undefined;
  /** Copy the input columns in front of the prediction columns. */
  readonly keepInput?: boolean | undefined;
  /** Field separator of the CSV; absent: detected from its header row. */
  readonly delimiter?: string | undefined;
  /** Score through the server at this URL instead of in this process. */
  readonly url?: string | undefined;
  /** Bearer token for the server at `url`. */
  readonly token?: string | undefined;
  /** Rows per request with `url`; default 1000. */
  readonly batchSize?: number | undefined;
  /** Told as rows are scored: so far and in all. */
  readonly onProgress?: ((scored: number, total: number) => void) | undefined;
  /** Where the CSV goes without `output`. */
  readonly stdout?: Writable | undefined;
  readonly actor?: AuditActor | undefined;
}

/** What `berth predict` did. */
export interface PredictCommandResult {
  readonly model: string;
  readonly version: number;
  readonly rows: number;
  /** The header written. */
  readonly columns: readonly string[];
  /** The file written, absolute, or null for standard output. */
  readonly output: string | null;
  /** Input columns the model's schema does not know (ignored). */
  readonly ignoredColumns: readonly string[];
  /** Values training never saw (unseen categories, numbers outside the training range), one line per feature. */
  readonly warnings: readonly string[];
}

/**
 * Scores every row of the CSV. The output has `prediction` (the label, or the value) and, for a
 * classifier, `probability_<label>` for every label; with `keepInput`, the input columns come
 * first, an input column whose name an output column takes being written as `input_<name>`.
 * A row that does not fit the schema stops the run with an error naming its line and field, and
 * nothing is written (the output appears complete or not at all).
 */
export async function predictCommand(options: PredictCommandOptions): Promise<PredictCommandResult> {
  const table = await readCsvFile(options.data, options.delimiter === undefined ? {} : { delimiter: options.delimiter });
  const scored = options.url !== undefined ? await remoteBatches(options, table) : await localBatches(options, table);
  const outputColumns = predictionColumns(scored.output);
  const inputColumns = options.keepInput ? table.header.map((name) => (outputColumns.includes(name) ? `input_${name}` : name)) : [];
  const columns = [...inputColumns, ...outputColumns];
  let rows = 0;
  const counted = async function* (): AsyncGenerator<readonly Prediction[]> {
    for await (const batch of scored.batches) {
      rows += batch.length;
      yield batch;
    }
  };
  const records = Readable.from(outputRows(table, counted(), scored.output, columns, options.keepInput === true));

  const output = options.output === undefined ? null : resolve(options.output);
  if (output === null) {
    // A reader that has seen enough (`| head`) closes the pipe; that ends the output, not in error.
    await pipeline(records, stringify(SPREADSHEET_SAFE), options.stdout ?? process.stdout, { end: false }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  } else {
    await writeAtomically(output, (file) => pipeline(records, stringify(SPREADSHEET_SAFE), file));
  }
  return { model: scored.model, version: scored.version, rows, columns, output, ignoredColumns: [...scored.unknownFields], warnings: [...scored.warnings] };
}

/** What either kind of scoring hands the output writer. */
interface ScoredBatches {
  readonly model: string;
  readonly version: number;
  readonly output: PipelineOutput;
  readonly batches: AsyncIterable<readonly Prediction[]>;
  readonly unknownFields: Iterable<string>;
  /** Read once every batch was scored. */
  readonly warnings: Iterable<string>;
}

/** Scores in this process with the registered version's pipeline and model. */
async function localBatches(options: PredictCommandOptions, table: CsvTable): Promise<ScoredBatches> {
  const { version, onnx } = await withRegistry(options.config, options.actor, async (registry) => {
    const { version, bundle } = await registry.openBundle(options.model);
    // The unpacked bundle stays in the registry's cache; read what scoring needs while it is open.
    return { version, onnx: await readFile(bundle.modelPath) };
  });
  const { schema, pipeline: spec } = version.manifest;
  if (!schema || !spec) throw Errors.MODEL_NO_SCHEMA.create(version.model, String(version.version));
  const { predictions, unknownFields, warnings } = await scoreRows({
    onnx,
    schema,
    pipeline: spec,
    rows: tableRecords(table),
    describeRow: (index) => `${options.data} line ${rowLine(table, index)}`,
  });
  options.onProgress?.(predictions.length, predictions.length);
  const batches = (async function* () {
    yield predictions;
  })();
  return { model: version.model, version: version.version, output: spec.output, batches, unknownFields, warnings };
}

/** Scores through a running server, batch by batch as the output is written. */
async function remoteBatches(options: PredictCommandOptions, table: CsvTable): Promise<ScoredBatches> {
  return scoreRemotely({
    url: options.url!,
    model: options.model,
    table,
    token: options.token,
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}

/** Every text cell, the header's included, guarded against being run as a spreadsheet formula. */
const SPREADSHEET_SAFE = { cast: { string: spreadsheetSafe } };

/** The output header: `prediction`, then one probability per label for a classifier. */
function predictionColumns(output: PipelineOutput): string[] {
  return output.task === 'classification' ? ['prediction', ...output.labels.map((label) => `probability_${label}`)] : ['prediction'];
}

async function* outputRows(
  table: CsvTable,
  batches: AsyncIterable<readonly Prediction[]>,
  output: PipelineOutput,
  header: readonly string[],
  keepInput: boolean,
): AsyncGenerator<readonly string[]> {
  yield header;
  let r = 0;
  for await (const predictions of batches) {
    for (const p of predictions) {
      const values: string[] = keepInput ? [...table.rows[r]!] : [];
      if ('value' in p) values.push(formatFloat32(p.value));
      else {
        values.push(p.label);
        if (output.task === 'classification') for (const label of output.labels) values.push(formatFloat32(p.probabilities[label]!));
      }
      r += 1;
      yield values;
    }
  }
}

