/** KServe V1 prediction routes: convert, delegate to the data plane, encode. */
import type { FastifyInstance } from 'fastify';
import { Errors } from '../../core/errors.js';
import type { DataPlane } from '../data-plane.js';
import type { BodyCodecPool } from './body-codec-pool.js';
import { sendBody } from './chunked-reply.js';
import { decodeV1Predict, encodeV1Predict } from './kserve-v1-codec.js';
import { acceptRawBodies, rawBody } from './raw-body.js';
import { routeKeysOf } from './route-keys.js';

/** Registers `/v1/...` on the app. */
export function registerV1Routes(app: FastifyInstance, dataPlane: DataPlane, codecs: BodyCodecPool): void {
  app.get('/v1/models', async () => ({ models: dataPlane.modelNames() }));

  app.get<{ Params: { name: string } }>('/v1/models/:name', async (request) => {
    const model = dataPlane.resolve(request.params.name);
    return { name: model.name, version: String(model.version), ready: dataPlane.isModelReady(model) };
  });

  void app.register(async (scope) => {
    acceptRawBodies(scope);
    // The path is `/v1/models/{name}:predict`; the router cannot split a parameter on a colon,
    // so the verb is split off here.
    scope.post<{ Params: { target: string } }>('/v1/models/:target', async (request, reply) => {
      const { target } = request.params;
      const colon = target.lastIndexOf(':');
      if (colon < 0 || target.slice(colon + 1) !== 'predict') throw Errors.ROUTE_NOT_FOUND.create(request.method, request.url);
      const model = dataPlane.resolve(target.slice(0, colon), undefined, routeKeysOf(request));
      request.inference = { model: model.name, version: String(model.version), protocol: 'v1-rest' };
      const body = rawBody(request, ['application/json']);
      // Large bodies are decoded, and large answers encoded, in the body codec workers.
      const inferRequest = codecs.offloads(body.length) ? await codecs.decodeV1(body, model.signature, model.name) : decodeV1Predict(body, model.signature, model.name);
      const response = await dataPlane.infer(model, inferRequest, { requestId: request.id, protocol: 'v1-rest', routed: true });
      const rows = (inferRequest.inputs[0]?.shape[0] as number | undefined) ?? 0;
      const encoded = codecs.offloadsOutputs(response.outputs) ? await codecs.encodeV1(response, rows) : encodeV1Predict(response, rows);
      return sendBody(reply, 'application/json; charset=utf-8', encoded);
    });
  });
}
