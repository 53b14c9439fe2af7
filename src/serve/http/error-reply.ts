/** Renders any error thrown while answering an HTTP request as a catalogue error. */
import type { FastifyError } from 'fastify';
import { BerthError, Errors } from '../../core/errors.js';

/** Fastify's own errors for client mistakes, mapped to the catalogue. */
function fromFastify(error: FastifyError, bodyLimit: number): BerthError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return Errors.REQUEST_TOO_LARGE.create(bodyLimit);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return Errors.REQUEST_UNSUPPORTED_MEDIA_TYPE.create(String(error.message.split(': ').at(-1) ?? ''), 'application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return Errors.REQUEST_INVALID_JSON.create('the body is empty');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return Errors.REQUEST_INVALID.create('the Content-Length header does not match the body received');
    default:
      break;
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return Errors.REQUEST_INVALID_JSON.create(error.message);
  }
  // Fastify's and its plugins' other client errors (a malformed multipart body, a bad URL).
  if (error.validation || (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500)) {
    return Errors.REQUEST_INVALID.create(error.message, { cause: error });
  }
  return undefined;
}

/**
 * The catalogue error to answer with. Unknown errors become BERTH_INTERNAL carrying the request
 * id, so a user can quote it and an operator can find the logged cause.
 */
export function toBerthError(error: unknown, requestId: string, bodyLimit: number): BerthError {
  if (error instanceof BerthError) return error;
  const mapped = fromFastify(error as FastifyError, bodyLimit);
  return mapped ?? Errors.INTERNAL.create(requestId);
}

/** The JSON body of an error response. */
export function errorBody(error: BerthError): { error: string; code: string } {
  return { error: error.message, code: error.code };
}
