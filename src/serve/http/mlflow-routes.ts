/**
 * MLflow's scoring protocol, so clients written for `mlflow models serve` (or SageMaker's
 * container contract) call Berth unchanged: `POST /invocations` with a pandas-style JSON body
 * (`dataframe_split`, `dataframe_records`, `instances`, `inputs`) or CSV, answering
 * `{"predictions": [...]}` with one label (classifier) or value (regressor) per row, as an MLflow
 * pyfunc model's predict() gives; `GET /ping` and `GET /version`. It answers for one model's
 * default version. Converts and delegates to the data plane's named-feature prediction.
 */
import type { FastifyInstance } from 'fastify';
import { Errors } from '../../core/errors.js';
import type { DataPlane } from '../data-plane.js';
import type { BodyCodecPool } from './body-codec-pool.js';
import { sendBody } from './chunked-reply.js';
import { mlflowPrediction } from './records-codec.js';
import { acceptRecordsBodies, predictionsOf, predictRecords, rowsOf } from './records-requests.js';

/** Options of {@link registerMlflowRoutes}. */
export interface MlflowRoutesOptions {
  /** The model `/invocations` answers for; absent: the only model served. */
  readonly model?: string | undefined;
  /** What `/version` reports. */
  readonly serverVersion: string;
}

/** Registers `/invocations`, `/ping` and `/version` at the root. */
export function registerMlflowRoutes(app: FastifyInstance, dataPlane: DataPlane, codecs: BodyCodecPool, options: MlflowRoutesOptions): void {
  void app.register(async (scope) => {
    // Large bodies are parsed, validated and encoded, and large answers written, in the body codec workers.
    const large = acceptRecordsBodies(scope, codecs);
    scope.get('/ping', async (_request, reply) => reply.code(dataPlane.isReady() ? 200 : 503).type('text/plain').send('\n'));
    scope.get('/version', async (_request, reply) => reply.type('text/plain').send(options.serverVersion));
    scope.post('/invocations', async (request, reply) => {
      const names = dataPlane.modelNames();
      const name = options.model ?? (names.length === 1 ? names[0]! : undefined);
      if (name === undefined) throw Errors.MLFLOW_MODEL_UNSET.create(names);
      const outcome = await predictRecords(dataPlane, codecs, request, name, true, large);
      const pipeline = outcome.model.pipeline;
      if (pipeline !== undefined && codecs.offloadsRecordsAnswer(rowsOf(outcome.result), pipeline, 'mlflow')) {
        const json = await codecs.encodeRecordsAnswer({ kind: 'mlflow' }, pipeline, outcome.result.outputs, rowsOf(outcome.result));
        return sendBody(reply, 'application/json; charset=utf-8', json);
      }
      return { predictions: predictionsOf(outcome).map(mlflowPrediction) };
    });
  });
}
