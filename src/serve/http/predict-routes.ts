/** Prediction by named features: `POST /api/models/{ref}/predict`. Converts and delegates. */
import type { FastifyInstance } from 'fastify';
import type { DataPlane } from '../data-plane.js';
import { rowsFromCsv, rowsFromJson } from './records-codec.js';

/** Registers the predict route on the API scope. */
export function registerPredictRoutes(api: FastifyInstance, dataPlane: DataPlane): void {
  api.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string' }, (_request, body, done) => done(null, body));
  api.post<{ Params: { ref: string } }>(
    '/models/:ref/predict',
    {
      schema: {
        tags: ['predict'],
        summary: 'Predict named results for rows of named features',
        description:
          'Body: {"records": [...]}, {"columns": {...}}, {"dataframe_split": ...}, {"dataframe_records": [...]} or text/csv. `ref` is name, name@alias or name:version.',
        params: { type: 'object', properties: { ref: { type: 'string' } }, required: ['ref'] },
      },
    },
    async (request) => {
      const model = dataPlane.resolveReference(request.params.ref);
      request.inference = { model: model.name, version: String(model.version), protocol: 'predict' };
      const rows = typeof request.body === 'string' ? rowsFromCsv(request.body) : rowsFromJson(request.body);
      const result = await dataPlane.predict(model, rows, { requestId: request.id, protocol: 'predict' });
      return {
        model: model.name,
        version: model.version,
        requestId: request.id,
        predictions: result.predictions,
        ...(result.unknownFields.length ? { warnings: result.unknownFields.map((f) => `unknown field '${f}' ignored`) } : {}),
      };
    },
  );
}
