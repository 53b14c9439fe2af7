/**
 * Batch scoring through a running server (`berth predict --url`): rows go in CSV batches to
 * `POST /api/models/{ref}/predict`, the same path a client takes, so the server's own version,
 * pipeline and monitoring apply. The first batch fixes the version; later batches name it, so an
 * alias moved during a long run cannot mix two models' answers in one file.
 */
import { stringify } from 'csv-stringify/sync';
import { Errors } from '../core/errors.js';
import { remoteJson } from './remote-json.js';
import type { PipelineOutput } from '../core/pipeline-spec.js';
import type { Prediction } from '../runtime/pipeline.js';
import { type CsvTable, rowLine } from '../train/index.js';

/** Options for {@link scoreRemotely}. */
export interface RemoteScoringOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** `name`, `name@alias` or `name:version`. */
  readonly model: string;
  readonly table: CsvTable;
  /** Sent as `Authorization: Bearer` when the server requires a token. */
  readonly token?: string | undefined;
  /** Rows per request; default 1000. */
  readonly batchSize?: number;
  /** Told after each batch: rows scored so far and in all. */
  readonly onProgress?: (scored: number, total: number) => void;
}

/** The version that answered, its output, and the predictions batch by batch. */
export interface RemoteScoring {
  readonly model: string;
  readonly version: number;
  readonly output: PipelineOutput;
  /** Predictions of the first batch, then of each later one as it is asked for. */
  readonly batches: AsyncGenerator<readonly Prediction[]>;
  /** Fields the server reported as ignored, as far as the batches have gone. */
  readonly unknownFields: ReadonlySet<string>;
  /** The server's other warnings (values training never saw), as far as the batches have gone. */
  readonly warnings: ReadonlySet<string>;
}

interface PredictAnswer {
  readonly model: string;
  readonly version: number;
  readonly predictions: Prediction[];
  readonly warnings?: string[];
}

/** Most server warnings kept: past it, more batches repeat what was said. */
const MAX_WARNINGS = 20;

/**
 * Sends the first batch and reads the version's output description; the rest is sent as the
 * caller pulls `batches`. Throws BERTH_REMOTE_FAILED with the server's message and code (a bad
 * row is named by its line in the file).
 */
export async function scoreRemotely(options: RemoteScoringOptions): Promise<RemoteScoring> {
  const base = options.url.replace(/\/+$/, '');
  const batchSize = Math.max(1, options.batchSize ?? 1000);
  const total = options.table.rows.length;
  const unknownFields = new Set<string>();
  const warnings = new Set<string>();

  const call = (path: string, init: RequestInit, what: string): Promise<unknown> => remoteJson({ url: base, token: options.token }, path, init, what);

  const predictBatch = async (reference: string, first: number): Promise<PredictAnswer> => {
    const rows = options.table.rows.slice(first, first + batchSize);
    const body = stringify([options.table.header, ...rows]);
    const lines = `${options.table.source} lines ${rowLine(options.table, first)}-${rowLine(options.table, first + rows.length - 1)}`;
    const answer = (await call(`/api/models/${encodeURIComponent(reference)}/predict`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body }, `scoring ${lines}`)) as PredictAnswer;
    for (const warning of answer.warnings ?? []) {
      const field = /^unknown field '(.*)' ignored$/.exec(warning)?.[1];
      if (field !== undefined) unknownFields.add(field);
      // Row numbers in the server's warnings count from each batch's first row.
      else if (warnings.size < MAX_WARNINGS) warnings.add(`${warning} (in ${lines})`);
    }
    options.onProgress?.(Math.min(total, first + rows.length), total);
    return answer;
  };

  if (total === 0) throw Errors.REQUEST_INVALID.create(`${options.table.source} has no rows to score`);
  const firstAnswer = await predictBatch(options.model, 0);
  const pinned = `${firstAnswer.model}:${firstAnswer.version}`;
  const detail = (await call(`/api/models/${encodeURIComponent(firstAnswer.model)}/versions/${firstAnswer.version}`, {}, `reading version ${pinned}`)) as {
    manifest?: { pipeline?: { output?: PipelineOutput } };
  };
  const output = detail.manifest?.pipeline?.output;
  if (output === undefined) throw Errors.MODEL_NO_SCHEMA.create(firstAnswer.model, String(firstAnswer.version));

  async function* batches(): AsyncGenerator<readonly Prediction[]> {
    yield firstAnswer.predictions;
    for (let first = batchSize; first < total; first += batchSize) yield (await predictBatch(pinned, first)).predictions;
  }
  return { model: firstAnswer.model, version: firstAnswer.version, output, batches: batches(), unknownFields, warnings };
}
