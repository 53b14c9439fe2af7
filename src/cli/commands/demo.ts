/**
 * `berth demo`: the one-command start. Trains a model on the bundled loans dataset, registers it
 * as `loans@production` in BERTH_HOME, serves the registry and prints requests to try, built
 * from a real row of the data.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Config } from '../../core/config.js';
import type { FeatureSchema } from '../../core/feature-schema.js';
import type { PipelineSpec } from '../../core/pipeline-spec.js';
import { RowValidator } from '../../core/validate-row.js';
import type { AuditActor } from '../../registry/index.js';
import { Pipeline } from '../../runtime/pipeline.js';
import type { RunningServer } from '../../serve/server.js';
import { type CsvTable, type TrainProgress, readCsvFile, tableRecords } from '../../train/index.js';
import { formatFloat32 } from '../format-float32.js';
import { serve } from './serve.js';
import { trainCommand } from './train.js';

/** The dataset shipped for the demo (examples/ at the repository root). */
export const DEMO_DATASET = {
  file: fileURLToPath(new URL('../../../examples/loans.csv', import.meta.url)),
  target: 'defaulted',
  name: 'loans',
} as const;

/** Options of `berth demo`. */
export interface DemoOptions {
  /** BERTH_HOME (or the database) to register in, and the server's settings. */
  readonly config: Config;
  readonly logger: Logger;
  readonly version: string;
  /** Where human-readable lines go. */
  readonly print: (line: string) => void;
  /** What to train on; default {@link DEMO_DATASET}. */
  readonly dataset?: { readonly file: string; readonly target: string; readonly name: string } | undefined;
  readonly onProgress?: ((progress: TrainProgress) => void) | undefined;
  readonly actor?: AuditActor | undefined;
}

/** An HTTP request the demo suggests. */
export interface DemoRequest {
  readonly url: string;
  readonly body: unknown;
}

/** The running demo. */
export interface DemoResult {
  /** Close it to stop serving. */
  readonly server: RunningServer;
  readonly model: string;
  readonly version: number;
  /** The named-feature request and the same row as an Open Inference Protocol request. */
  readonly requests: { readonly predict: DemoRequest; readonly infer: DemoRequest };
}

/** Trains, registers with alias `production`, serves the registry, and prints what to try. */
export async function demo(options: DemoOptions): Promise<DemoResult> {
  const { print } = options;
  const dataset = options.dataset ?? DEMO_DATASET;
  print(`Training a model to predict '${dataset.target}' from ${shownPath(dataset.file)} …`);
  const trained = await trainCommand({
    config: options.config,
    data: dataset.file,
    target: dataset.target,
    name: dataset.name,
    register: true,
    aliases: ['production'],
    onProgress: options.onProgress,
    actor: options.actor,
  });
  const registered = trained.registered!;
  const m = trained.metrics;
  const quality = m.task === 'classification' ? `accuracy ${m.accuracy.toFixed(3)}, ROC AUC ${m.rocAuc.toFixed(3)}` : `R² ${m.r2.toFixed(3)}, RMSE ${m.rmse.toPrecision(4)}`;
  print(`Trained ${trained.method} on ${trained.rows} rows (validation ${quality}).`);
  const where = options.config.store.databaseUrl ? 'the registry database' : resolve(options.config.store.home);
  print(`Registered ${registered.model} version ${registered.version} in ${where}; @production → ${registered.version}.`);

  const server = await serve({ models: [], config: options.config, logger: options.logger, version: options.version, print });
  const requests = exampleRequests(server.url, registered.model, await readCsvFile(dataset.file), trained.schema, trained.pipeline);
  print('');
  print('Try it:');
  print('');
  print(`  # Predict from named features (the production version of ${registered.model}):`);
  print(curl(requests.predict));
  print('');
  print('  # The same row as the model input tensor, over the Open Inference Protocol:');
  print(curl(requests.infer));
  print('');
  print('  # What the model expects, and batch scoring of a whole file from the registry:');
  print(`  curl -s ${server.url}/v2/models/${registered.model}`);
  print(`  npx berth predict ${registered.model} ${shownPath(dataset.file)} -o predictions.csv`);
  print('');
  print('Stop with Ctrl+C.');
  return { server, model: registered.model, version: registered.version, requests };
}

/** The requests to try, from the first complete row of the data. */
function exampleRequests(url: string, model: string, table: CsvTable, schema: FeatureSchema, spec: PipelineSpec): DemoResult['requests'] {
  const validator = new RowValidator(schema);
  const records = tableRecords(table);
  // A row with every feature present shows every feature; any row will do if none is complete.
  const values = records.map((r, i) => validator.validate(r, i)).find((v) => v.every((x) => x !== null)) ?? validator.validate(records[0], 0);
  const record: Record<string, unknown> = {};
  schema.features.forEach((feature, i) => {
    if (values[i] !== null) record[feature.name] = values[i];
  });
  const tensor = new Pipeline(schema, spec).encodeValues([values]);
  const data = Array.from(tensor.data as Float32Array, (x) => Number(formatFloat32(x)));
  return {
    predict: { url: `${url}/api/models/${model}/predict`, body: { records: [record] } },
    infer: { url: `${url}/v2/models/${model}/infer`, body: { inputs: [{ name: tensor.name, datatype: tensor.datatype, shape: tensor.shape, data }] } },
  };
}

function curl(request: DemoRequest): string {
  const body = JSON.stringify(request.body).replaceAll("'", "'\\''");
  return `  curl -s ${request.url} -H 'content-type: application/json' \\\n    -d '${body}'`;
}

/** A path as the user would type it from here. */
function shownPath(file: string): string {
  const shown = relative(process.cwd(), file);
  return shown.startsWith('..') || isAbsolute(shown) ? file : shown;
}
