/** Prediction by named features: `POST /api/models/{ref}/predict`. Converts and delegates. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { predictionWarnings } from '../../core/embedded-model.js';
import { parseModelRef } from '../../core/model-ref.js';
import type { DataPlane } from '../data-plane.js';
import type { BodyCodecPool } from './body-codec-pool.js';
import { useApiContract } from './api-contract.js';
import { errorResponses, JsonObject, list, named } from './api-schemas.js';
import { sendBody } from './chunked-reply.js';
import { acceptRecordsBodies, predictionsOf, predictRecords, rowsOf } from './records-requests.js';

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
    // A large body stays bytes until a body codec worker parses, validates and encodes it.
    const large = acceptRecordsBodies(inner, codecs);
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
        const routed = parseModelRef(request.params.ref).kind === 'default';
        const outcome = await predictRecords(dataPlane, codecs, request, request.params.ref, routed, large);
        const { model, result } = outcome;
        const pipeline = model.pipeline;
        const warnings = predictionWarnings(result, pipeline?.schema);
        const head = { model: model.name, version: model.version, requestId: request.id };
        // A large answer is decoded and written as JSON in a worker, then sent a slice at a time.
        if (pipeline !== undefined && codecs.offloadsRecordsAnswer(rowsOf(result), pipeline, 'records')) {
          const json = await codecs.encodeRecordsAnswer({ kind: 'records', head, warnings }, pipeline, result.outputs, rowsOf(result));
          return sendBody(reply, 'application/json; charset=utf-8', json);
        }
        return { ...head, predictions: predictionsOf(outcome), ...(warnings.length ? { warnings } : {}) };
      },
    );
  });
}
