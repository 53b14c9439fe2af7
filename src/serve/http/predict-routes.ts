/** Prediction by named features: `POST /api/models/{ref}/predict`. Converts and delegates. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { predictionWarnings } from '../../core/embedded-model.js';
import { parseModelRef } from '../../core/model-ref.js';
import type { LoadedVersion } from '../../runtime/loaded-version.js';
import type { DataPlane } from '../data-plane.js';
import type { BodyCodecPool } from './body-codec-pool.js';
import { parseJsonBody } from './body-codec-tasks.js';
import { useApiContract } from './api-contract.js';
import { errorResponses, JsonObject, list, named } from './api-schemas.js';
import { sendBody } from './chunked-reply.js';
import { readRawBody } from './raw-body.js';
import { type RecordsFormat, rowsFromCsv, rowsFromJson } from './records-codec.js';
import { firstRowField, routeKeysOf } from './route-keys.js';
import { refusePlainText } from './csv-body.js';

/**
 * Rows of named features in one of the accepted forms, or CSV text. Only the outline is checked
 * here: the records codec and the version's schema name the row and field of a bad value.
 */
const PredictBody = z.union([
  z.string().describe('text/csv with a header row'),
  z.looseObject({
    records: list(z.unknown()).optional().describe('[{"age": 41, "income": 52000}, ...]'),
    columns: z.record(z.string(), z.unknown()).optional().describe('{"age": [41, 37], "income": [52000, 61000]}'),
    dataframe_split: z.unknown().optional().describe('MLflow: {"columns": [...], "data": [[...], ...]}'),
    dataframe_records: list(z.unknown()).optional().describe('MLflow: [{"age": 41}, ...]'),
  }),
]);

/** The answer of a prediction. */
const PredictResponse = named(
  'PredictResponse',
  z.object({
    model: z.string(),
    version: z.number().int(),
    requestId: z.string(),
    predictions: list(JsonObject).describe('One per row: {label, probabilities: {class: p}} for a classifier, {value} for a regressor, or the named outputs.'),
    warnings: list(z.string()).optional(),
  }),
);

/** Registers the predict route on the API scope. */
export function registerPredictRoutes(scope: FastifyInstance, dataPlane: DataPlane, codecs: BodyCodecPool): void {
  void scope.register(async (inner) => {
    const api = useApiContract(inner);
    refusePlainText(inner);
    // A large body stays bytes until a body codec worker parses, validates and encodes it.
    const largeBodies = new WeakMap<FastifyRequest, LargeBody>();
    api.addContentTypeParser(['text/csv', 'application/csv'], (request, payload, done) =>
      readRawBody(request, payload, (error, body) => {
        if (error !== null || body === undefined) return done(error);
        if (!codecs.offloads(body.length)) return done(null, body.toString('utf8'));
        largeBodies.set(request, { bytes: body, format: 'csv' });
        done(null, '');
      }),
    );
    const parseJson = inner.getDefaultJsonParser('error', 'error');
    inner.removeContentTypeParser('application/json');
    inner.addContentTypeParser('application/json', (request, payload, done) =>
      readRawBody(request, payload, (error, body) => {
        if (error !== null || body === undefined) return done(error);
        if (!codecs.offloads(body.length)) return parseJson(request, body.toString('utf8'), done);
        largeBodies.set(request, { bytes: body, format: 'json' });
        done(null, {});
      }),
    );
    api.post(
      '/models/:ref/predict',
      {
        schema: {
          tags: ['predict'],
          summary: 'Predict named results for rows of named features',
          description:
            'Body: {"records": [...]}, {"columns": {...}}, {"dataframe_split": ...}, {"dataframe_records": [...]} or text/csv. `ref` is name, name@alias or name:version.',
          params: z.object({ ref: z.string() }),
          consumes: ['application/json', 'text/csv'],
          body: PredictBody,
          response: { 200: PredictResponse, ...errorResponses },
        },
      },
      async (request, reply) => {
        const large = largeBodies.get(request);
        let rows: unknown[] | undefined;
        const body = () => (large === undefined ? request.body : large.format === 'csv' ? large.bytes.toString('utf8') : parseJsonBody(large.bytes));
        const readRows = () => {
          if (rows !== undefined) return rows;
          const parsed = body();
          return (rows = typeof parsed === 'string' ? rowsFromCsv(parsed) : rowsFromJson(parsed));
        };
        const routed = parseModelRef(request.params.ref).kind === 'default';
        const context = { requestId: request.id, protocol: 'predict' as const, routed };
        // A large body is routed without it when the deployment allows, and then never parsed here.
        const modelWithoutBody = large !== undefined ? resolveWithoutBody(dataPlane, request.params.ref, request) : undefined;
        const model = modelWithoutBody ?? dataPlane.resolveReference(request.params.ref, routeKeysOf(request, (feature) => firstRowField(readRows(), feature)));
        request.inference = { model: model.name, version: String(model.version), protocol: 'predict' };
        const pipeline = model.pipeline;
        const result =
          large !== undefined && rows === undefined && pipeline !== undefined
            ? await dataPlane.predictEncoded(model, (pipelines) => codecs.encodeRecords(large.bytes, large.format, pipelines), context)
            : await dataPlane.predict(model, readRows(), context);
        const warnings = predictionWarnings(result, pipeline?.schema);
        const head = { model: model.name, version: model.version, requestId: request.id };
        const count = 'predictions' in result ? result.predictions.length : result.rows;
        // A large answer is decoded and written as JSON in a worker, then sent a slice at a time.
        if (pipeline !== undefined && codecs.offloadsRecordsAnswer(count, pipeline)) {
          const json = await codecs.encodeRecordsAnswer(head, pipeline, result.outputs, count, warnings);
          return sendBody(reply, 'application/json; charset=utf-8', json);
        }
        const predictions = 'predictions' in result ? result.predictions : pipeline!.decode(result.outputs, result.rows);
        return { ...head, predictions, ...(warnings.length ? { warnings } : {}) };
      },
    );
  });
}

/** A body left as bytes for a body codec worker, and how to read it. */
interface LargeBody {
  readonly bytes: Buffer;
  readonly format: RecordsFormat;
}

const BODY_NEEDED = Symbol('the body is needed to route this request');

/** The version a request goes to, found without its body; undefined when its deployment routes by a feature. */
function resolveWithoutBody(dataPlane: DataPlane, ref: string, request: Parameters<typeof routeKeysOf>[0]): LoadedVersion | undefined {
  try {
    return dataPlane.resolveReference(
      ref,
      routeKeysOf(request, () => {
        throw BODY_NEEDED;
      }),
    );
  } catch (error) {
    if (error === BODY_NEEDED) return undefined;
    throw error;
  }
}
