/**
 * Open Inference Protocol v2 REST routes: convert, delegate to the data plane, encode. Large JSON
 * bodies are decoded, and large JSON answers encoded, in the body codec workers.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DataPlane } from '../data-plane.js';
import type { BodyCodecPool } from './body-codec-pool.js';
import { sendBody } from './chunked-reply.js';
import { errorBody } from './error-reply.js';
import { type DecodedInferRequest, HEADER_LENGTH, binaryOutputOf, decodeInferRequest, encodeInferResponse } from './oip-rest-codec.js';
import { acceptRawBodies, rawBody } from './raw-body.js';
import { resolveWithoutBody, routeKeysOf } from './route-keys.js';

interface ModelParams {
  name: string;
  version?: string;
}

const INFER_MEDIA_TYPES = ['application/json', 'application/octet-stream'] as const;

/** Registers `/v2/...` on the app. */
export function registerOipRoutes(app: FastifyInstance, dataPlane: DataPlane, codecs: BodyCodecPool): void {
  app.get('/v2/health/live', async () => ({ live: dataPlane.isLive() }));

  app.get('/v2/health/ready', async (_request, reply) => {
    const readiness = dataPlane.readiness();
    if (readiness.ready) return { ready: true };
    // The details say which versions could not load and why, for whoever looks at a failing probe.
    return reply.code(readiness.error.httpStatus).send({ ready: false, ...errorBody(readiness.error), ...readiness.error.details });
  });

  app.get('/v2', async () => dataPlane.serverMetadata());

  const metadata = async (request: { params: ModelParams }) => {
    const { name, version } = request.params;
    return dataPlane.modelMetadata(dataPlane.resolve(name, version));
  };
  app.get<{ Params: ModelParams }>('/v2/models/:name', metadata);
  app.get<{ Params: ModelParams }>('/v2/models/:name/versions/:version', metadata);

  const ready = async (request: { params: ModelParams }, reply: { code(c: number): unknown }) => {
    const { name, version } = request.params;
    const model = dataPlane.resolve(name, version);
    const isReady = dataPlane.isModelReady(model);
    if (!isReady) reply.code(503);
    return { name: model.name, version: String(model.version), ready: isReady };
  };
  app.get<{ Params: ModelParams }>('/v2/models/:name/ready', ready);
  app.get<{ Params: ModelParams }>('/v2/models/:name/versions/:version/ready', ready);

  void app.register(async (scope) => {
    acceptRawBodies(scope);
    const infer = async (
      request: FastifyRequest<{ Params: ModelParams }>,
      reply: FastifyReply,
    ) => {
      const { name, version } = request.params;
      const header = request.headers[HEADER_LENGTH];
      const headerLength = Array.isArray(header) ? header[0] : header;
      // Decoded when first needed: after the model is found, or earlier when a deployment routes by a request parameter.
      let decoded: DecodedInferRequest | undefined;
      const decode = () => (decoded ??= decodeInferRequest(rawBody(request, INFER_MEDIA_TYPES), headerLength));
      const decodeOffThread = async () => {
        const body = await codecs.decodeInfer(rawBody(request, INFER_MEDIA_TYPES));
        decoded = { request: body, binaryOutput: binaryOutputOf(body) };
      };
      // A large JSON body is decoded in a worker; binary requests' tensors need no parsing.
      const offThread = headerLength === undefined && Buffer.isBuffer(request.body) && codecs.offloads(request.body.length);
      let model = offThread ? resolveWithoutBody(request, (keys) => dataPlane.resolve(name, version, keys)) : undefined;
      if (offThread) await decodeOffThread();
      model ??= dataPlane.resolve(name, version, routeKeysOf(request, (feature) => decode().request.parameters?.[feature]));
      request.inference = { model: model.name, version: String(model.version), protocol: 'v2-rest' };
      const response = await dataPlane.infer(model, decode().request, { requestId: request.id, protocol: 'v2-rest', routed: version === undefined });
      const { binaryOutput } = decode();
      const encoded = codecs.offloadsOutputs(response.outputs, binaryOutput)
        ? await codecs.encodeInfer(response, decode().request)
        : encodeInferResponse(response, binaryOutput);
      if (encoded.headerLength !== undefined) void reply.header(HEADER_LENGTH, encoded.headerLength);
      return sendBody(reply, encoded.contentType, encoded.body);
    };
    scope.post<{ Params: ModelParams }>('/v2/models/:name/infer', infer);
    scope.post<{ Params: ModelParams }>('/v2/models/:name/versions/:version/infer', infer);
  });
}

