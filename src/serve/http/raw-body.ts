/** Reading request bodies as raw bytes, for routes that decode their own wire formats. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Errors } from '../../core/errors.js';

/** Replaces a scope's body parsers with one that hands every body over as a Buffer. */
export function acceptRawBodies(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
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
