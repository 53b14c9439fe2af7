/**
 * Named-feature requests as `/api/models/{ref}/predict` and MLflow's `/invocations` take them:
 * JSON or CSV bodies, a large one left as bytes for a body codec worker to parse, validate and
 * encode, routed by the model's deployment, and predicted through the data plane.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Prediction } from '../../core/prediction.js';
import type { LoadedVersion } from '../../runtime/loaded-version.js';
import type { DataPlane, EncodedRecordPredictions, RecordPredictions } from '../data-plane.js';
import type { BodyCodecPool } from './body-codec-pool.js';
import { parseJsonBody } from './body-codec-tasks.js';
import { refusePlainText } from './csv-body.js';
import { readRawBody } from './raw-body.js';
import { type RecordsFormat, rowsFromCsv, rowsFromJson } from './records-codec.js';
import { firstRowField, resolveWithoutBody, routeKeysOf } from './route-keys.js';

/** A body left as bytes for a body codec worker, and how to read it. */
interface LargeBody {
  readonly bytes: Buffer;
  readonly format: RecordsFormat;
}

/** The bodies of a scope's records requests that were left as bytes. */
export type LargeBodies = WeakMap<FastifyRequest, LargeBody>;

/**
 * Installs `scope`'s JSON and CSV parsers: a body under the codec pool's threshold is parsed as
 * before (CSV as text, JSON by fastify's parser), a larger one is kept as bytes in the map returned.
 * text/plain is refused.
 */
export function acceptRecordsBodies(scope: FastifyInstance, codecs: BodyCodecPool): LargeBodies {
  const large: LargeBodies = new WeakMap();
  refusePlainText(scope);
  scope.addContentTypeParser(['text/csv', 'application/csv'], (request, payload, done) =>
    readRawBody(request, payload, (error, body) => {
      if (error !== null || body === undefined) return done(error);
      if (!codecs.offloads(body.length)) return done(null, body.toString('utf8'));
      large.set(request, { bytes: body, format: 'csv' });
      done(null, '');
    }),
  );
  const parseJson = scope.getDefaultJsonParser('error', 'error');
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', (request, payload, done) =>
    readRawBody(request, payload, (error, body) => {
      if (error !== null || body === undefined) return done(error);
      if (!codecs.offloads(body.length)) return parseJson(request, body.toString('utf8'), done);
      large.set(request, { bytes: body, format: 'json' });
      done(null, {});
    }),
  );
  return large;
}

/** A records request predicted: the version that answered, and its predictions or undecoded outputs. */
export interface RecordsOutcome {
  readonly model: LoadedVersion;
  readonly result: RecordPredictions | EncodedRecordPredictions;
}

/**
 * Predicts a records request for `ref` (a plain name is routed by its deployment). A large body
 * goes to a body codec worker unless the deployment routes by a feature, which needs its first
 * row here.
 */
export async function predictRecords(dataPlane: DataPlane, codecs: BodyCodecPool, request: FastifyRequest, ref: string, routed: boolean, large: LargeBodies): Promise<RecordsOutcome> {
  const bytes = large.get(request);
  let rows: unknown[] | undefined;
  const body = () => (bytes === undefined ? request.body : bytes.format === 'csv' ? bytes.bytes.toString('utf8') : parseJsonBody(bytes.bytes));
  const readRows = () => {
    if (rows !== undefined) return rows;
    const parsed = body();
    return (rows = typeof parsed === 'string' ? rowsFromCsv(parsed) : rowsFromJson(parsed));
  };
  const context = { requestId: request.id, protocol: 'predict' as const, routed };
  // A large body is routed without it when the deployment allows, and then never parsed here.
  const modelWithoutBody = bytes !== undefined ? resolveWithoutBody(request, (keys) => dataPlane.resolveReference(ref, keys)) : undefined;
  const model = modelWithoutBody ?? dataPlane.resolveReference(ref, routeKeysOf(request, (feature) => firstRowField(readRows(), feature)));
  request.inference = { model: model.name, version: String(model.version), protocol: 'predict' };
  const result =
    bytes !== undefined && rows === undefined && model.pipeline !== undefined
      ? await dataPlane.predictEncoded(model, (pipelines) => codecs.encodeRecords(bytes.bytes, bytes.format, pipelines), context)
      : await dataPlane.predict(model, readRows(), context);
  return { model, result };
}

/** How many rows an outcome predicted. */
export function rowsOf(result: RecordsOutcome['result']): number {
  return 'predictions' in result ? result.predictions.length : result.rows;
}

/** An outcome's predictions, decoded here when they came back undecoded (an answer small enough for the event loop). */
export function predictionsOf({ model, result }: RecordsOutcome): Prediction[] {
  return 'predictions' in result ? result.predictions : model.pipeline!.decode(result.outputs, result.rows);
}

