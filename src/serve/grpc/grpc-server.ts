/**
 * The gRPC transport of the Open Inference Protocol: the GRPCInferenceService calls converted to
 * the data plane's and back, errors rendered with each catalogue entry's gRPC status.
 */
import { Metadata, type Server, type ServerUnaryCall, type sendUnaryData, Server as GrpcServer, ServerCredentials, status as GrpcCode } from '@grpc/grpc-js';
import type { FastifyBaseLogger } from 'fastify';
import { BerthError, Errors, type GrpcStatus } from '../../core/errors.js';
import type { AccessControl, AccessNeed } from '../access-control.js';
import { type DataPlane, MODEL_VERSION_HEADER } from '../data-plane.js';
import type { ServerMetrics } from '../metrics.js';
import { decodeGrpcInfer, encodeGrpcInfer } from './oip-grpc-codec.js';
import { type GrpcInferRequest, oipGrpcService } from './oip-grpc-proto.js';
import { requestIdGenerator } from '../request-ids.js';
import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';

const CODES: Readonly<Record<GrpcStatus, GrpcCode>> = {
  INVALID_ARGUMENT: GrpcCode.INVALID_ARGUMENT,
  NOT_FOUND: GrpcCode.NOT_FOUND,
  ALREADY_EXISTS: GrpcCode.ALREADY_EXISTS,
  FAILED_PRECONDITION: GrpcCode.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: GrpcCode.RESOURCE_EXHAUSTED,
  UNAVAILABLE: GrpcCode.UNAVAILABLE,
  DEADLINE_EXCEEDED: GrpcCode.DEADLINE_EXCEEDED,
  UNAUTHENTICATED: GrpcCode.UNAUTHENTICATED,
  PERMISSION_DENIED: GrpcCode.PERMISSION_DENIED,
  INTERNAL: GrpcCode.INTERNAL,
  UNIMPLEMENTED: GrpcCode.UNIMPLEMENTED,
};

/** Options for {@link startGrpcServer}. */
export interface GrpcServerOptions {
  readonly dataPlane: DataPlane;
  readonly metrics: ServerMetrics;
  readonly logger: FastifyBaseLogger;
  readonly host: string;
  readonly port: number;
  /** Largest message accepted, in bytes (the HTTP body limit). */
  readonly maxMessageBytes: number;
  readonly isClosing: () => boolean;
  /** With `server.inferenceAuth`: checks each call's `authorization` metadata, as HTTP does. */
  readonly access?: AccessControl;
  /**
   * With `server.rateLimitPerMinute`: each client's budget of calls (the health calls are free),
   * a client being its live credential (`identify`) or else its address, as on HTTP.
   */
  readonly rateLimit?: { readonly limiter: RateLimiterAbstract; readonly identify: (authorization: string | undefined) => Promise<string | undefined> };
}

/** A listening gRPC server. */
export interface RunningGrpcServer {
  readonly port: number;
  /** Stops taking calls and waits for those in flight. */
  close(): Promise<void>;
}

/** What reading metadata needs, as on HTTP (see http/access-hook.ts); the health calls are open. */
function metadataNeed(model: string | undefined): AccessNeed {
  return { scopes: ['predict', 'read'], action: 'read model metadata', model };
}

type Handler<Req, Res> = (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void;

/** The address of a gRPC peer (`127.0.0.1:5000`, `[::1]:5000`, `ipv4:...`) without its port. */
function peerAddress(peer: string): string {
  const address = peer.replace(/^ipv[46]:/, '').replace(/:\d+$/, '');
  return address.startsWith('[') ? address.slice(1, -1) : address;
}

/** Starts the gRPC service on `host:port` (`0` picks a free port). */
export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const { dataPlane, metrics, logger } = options;
  const nextRequestId = requestIdGenerator();
  const server: Server = new GrpcServer({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': -1,
  });

  /** Spends one of the caller's calls; resolves to the seconds to wait when none is left. */
  const overBudget = async (call: ServerUnaryCall<unknown, unknown>): Promise<number | undefined> => {
    const limit = options.rateLimit;
    if (!limit) return undefined;
    const who = await limit.identify(call.metadata.get('authorization')[0]?.toString());
    try {
      await limit.limiter.consume(who ?? `ip:${peerAddress(call.getPeer())}`);
      return undefined;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw rejection;
    }
  };

  /** Runs a call, rendering any error with its catalogue gRPC status and message. */

  const unary = <Req, Res>(
    work: (request: Req, requestId: string, call: ServerUnaryCall<Req, Res>) => Promise<Res>,
    need?: (request: Req) => AccessNeed,
    limited = true,
  ): Handler<Req, Res> => (call, callback) => {
    const requestId = (call.metadata.get('x-request-id')[0] as string | undefined) ?? nextRequestId();
    if (options.isClosing()) {
      const error = Errors.SERVER_SHUTTING_DOWN.create();
      callback({ code: CODES[error.grpcStatus], details: error.message });
      return;
    }
    const access = options.access;
    let retryAfter: number | undefined;
    // The budget is spent before the credential is checked, so refused guesses count too.
    (limited ? overBudget(call) : Promise.resolve(undefined))
      .then((wait) => {
        retryAfter = wait;
        if (wait !== undefined) throw Errors.RATE_LIMITED.create(options.rateLimit!.limiter.points, `${wait} second${wait === 1 ? '' : 's'}`);
        if (access && need) return access.check(call.metadata.get('authorization')[0]?.toString(), need(call.request));
        return undefined;
      })
      .then(() => work(call.request, requestId, call))
      .then(
        (response) => callback(null, response),
        (error: unknown) => {
          const berthError = error instanceof BerthError ? error : Errors.INTERNAL.create(requestId);
          if (!(error instanceof BerthError)) logger.error({ err: error, reqId: requestId }, berthError.message);
          const metadata = new Metadata();
          if (retryAfter !== undefined) metadata.set('retry-after', String(retryAfter));
          callback({ code: CODES[berthError.grpcStatus], details: `${berthError.message} [${berthError.code}]`, metadata });
        },
      );
  };

  const service = oipGrpcService().service;
  server.addService(service, {
    // The health calls are never limited: an orchestrator must always see the truth.
    ServerLive: unary(async () => ({ live: dataPlane.isLive() }), undefined, false),
    ServerReady: unary(async () => ({ ready: dataPlane.isReady() }), undefined, false),
    ModelReady: unary(
      async (request: { name: string; version: string }) => ({
        ready: dataPlane.isModelReady(dataPlane.resolve(request.name, request.version || undefined)),
      }),
      (request) => metadataNeed(request.name),
    ),
    ServerMetadata: unary(async () => dataPlane.serverMetadata(), () => metadataNeed(undefined)),
    ModelMetadata: unary(
      async (request: { name: string; version: string }) => {
        const metadata = dataPlane.modelMetadata(dataPlane.resolve(request.name, request.version || undefined));
        const tensors = (list: typeof metadata.inputs) => list.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(String) }));
        return { ...metadata, inputs: tensors(metadata.inputs), outputs: tensors(metadata.outputs) };
      },
      (request) => metadataNeed(request.name),
    ),
    ModelInfer: unary(async (request: GrpcInferRequest, requestId: string, call) => {
      const started = performance.now();
      let labels: { model: string; version: string } | undefined;
      let statusCode = 200;
      // The HTTP transport's count too (http/in-flight-hook.ts): the autoscaler sees every protocol.
      metrics.inFlight.inc();
      try {
        let decoded: ReturnType<typeof decodeGrpcInfer> | undefined;
        const decode = () => (decoded ??= decodeGrpcInfer(request));
        const model = dataPlane.resolve(request.model_name, request.model_version || undefined, {
          header: (name) => {
            const value = call.metadata.get(name)[0];
            return value === undefined ? undefined : String(value);
          },
          feature: (name) => decode().parameters?.[name],
        });
        labels = { model: model.name, version: String(model.version) };
        // As the HTTP transport's header: the version that answers, before the answer.
        const metadata = new Metadata();
        metadata.set(MODEL_VERSION_HEADER, labels.version);
        call.sendMetadata(metadata);
        const response = await dataPlane.infer(model, decode(), { requestId, protocol: 'v2-grpc', routed: !request.model_version });
        return encodeGrpcInfer(response);
      } catch (error) {
        statusCode = error instanceof BerthError ? error.httpStatus : 500;
        throw error;
      } finally {
        metrics.inFlight.dec();
        if (labels) metrics.observe(labels.model, labels.version, 'v2-grpc', statusCode, (performance.now() - started) / 1000);
      }
    }, (request) => ({ scopes: ['predict'], action: 'run models', model: request.model_name })),
  });

  const port = await new Promise<number>((resolve, reject) => {
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    server.bindAsync(`${host}:${options.port}`, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}
