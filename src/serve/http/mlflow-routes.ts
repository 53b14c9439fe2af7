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
import { rowsFromCsv, rowsFromJson } from './records-codec.js';
import { firstRowField, routeKeysOf } from './route-keys.js';
import { acceptCsvBodies } from './csv-body.js';

/** Options of {@link registerMlflowRoutes}. */
export interface MlflowRoutesOptions {
  /** The model `/invocations` answers for; absent: the only model served. */
  readonly model?: string | undefined;
  /** What `/version` reports. */
  readonly serverVersion: string;
}

/** Registers `/invocations`, `/ping` and `/version` at the root. */
export function registerMlflowRoutes(app: FastifyInstance, dataPlane: DataPlane, options: MlflowRoutesOptions): void {
  void app.register(async (scope) => {
    acceptCsvBodies(scope);
    scope.get('/ping', async (_request, reply) => reply.code(dataPlane.isReady() ? 200 : 503).type('text/plain').send('\n'));
    scope.get('/version', async (_request, reply) => reply.type('text/plain').send(options.serverVersion));
    scope.post('/invocations', async (request) => {
      const names = dataPlane.modelNames();
      const name = options.model ?? (names.length === 1 ? names[0]! : undefined);
      if (name === undefined) throw Errors.MLFLOW_MODEL_UNSET.create(names);
      let rows: unknown[] | undefined;
      const readRows = () => (rows ??= typeof request.body === 'string' ? rowsFromCsv(request.body) : rowsFromJson(request.body));
      const model = dataPlane.resolveReference(name, routeKeysOf(request, (feature) => firstRowField(readRows(), feature)));
      request.inference = { model: model.name, version: String(model.version), protocol: 'predict' };
      const result = await dataPlane.predict(model, readRows(), { requestId: request.id, protocol: 'predict', routed: true });
      return { predictions: result.predictions.map((p) => ('value' in p ? p.value : p.label)) };
    });
  });
}
