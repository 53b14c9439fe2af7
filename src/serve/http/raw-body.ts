/** Reading request bodies as raw bytes, for routes that decode their own wire formats. */
import type { Readable } from 'node:stream';
import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';
import { Errors } from '../../core/errors.js';

/**
 * Replaces a scope's body parsers with one that hands every body over as a Buffer that owns its
 * memory. A body that declares its length is copied into place chunk by chunk as it arrives, so no
 * single turn of the event loop copies tens of megabytes (as one `Buffer.concat` at the end would),
 * and a body codec worker can take the Buffer over without a copy.
 */
export function acceptRawBodies(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (request, payload, done) => readRawBody(request, payload, done));
}

/** Bodies of at least this many bytes get a buffer of their own up front; smaller ones are joined from Node's pool. */
const IN_PLACE_BYTES = 64 * 1024;

/** Reads a body within the route's limit, answering fastify's errors for too large and wrong lengths. */
export function readRawBody(request: FastifyRequest, payload: Readable, done: (error: Error | null, body?: Buffer) => void): void {
  const limit = request.routeOptions.bodyLimit ?? Number.POSITIVE_INFINITY;
  const declared = Number(request.headers['content-length']);
  if (declared > limit) return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
  const body = Number.isSafeInteger(declared) && declared >= IN_PLACE_BYTES ? Buffer.allocUnsafeSlow(declared) : undefined;
  const chunks: Buffer[] = [];
  let received = 0;
  const stop = () => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onEnd);
  };
  const onData = (chunk: Buffer | string) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const at = received;
    received += bytes.length;
    if (received > limit) {
      stop();
      return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
    }
    if (body === undefined) chunks.push(bytes);
    else if (received <= body.length) bytes.copy(body, at);
  };
  const onEnd = (error?: Error & { statusCode?: number }) => {
    stop();
    if (error) {
      if (!(typeof error.statusCode === 'number' && error.statusCode >= 400)) error.statusCode = 400;
      return done(error);
    }
    if (!Number.isNaN(declared) && received !== declared) return done(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
    done(null, body ?? Buffer.concat(chunks, received));
  };
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onEnd);
  payload.resume();
}

/**
 * The body of a request whose media type must be one of `accepted` (a missing Content-Type is
 * read as the first). Throws 415 for another type and 400 for an empty body.
 */
export function rawBody(request: FastifyRequest, accepted: readonly string[]): Buffer {
  const contentType = request.headers['content-type'];
  if (contentType !== undefined) {
    const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
    if (!accepted.includes(mediaType)) {
      throw Errors.REQUEST_UNSUPPORTED_MEDIA_TYPE.create(contentType, accepted.map((t) => `Content-Type: ${t}`).join(' or '));
    }
  }
  const body = request.body;
  if (!Buffer.isBuffer(body) || body.length === 0) throw Errors.REQUEST_INVALID.create('the body is empty; send the request as JSON');
  return body;
}
