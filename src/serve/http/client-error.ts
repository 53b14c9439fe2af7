/**
 * Answers to connections Node's HTTP parser gives up on before Fastify sees a request (a request
 * sent too slowly, headers too large, bytes that are not HTTP), in the catalogue's format rather
 * than Fastify's own, then closes the connection as Node does.
 */
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { type BerthError, Errors } from '../../core/errors.js';
import { errorBody } from './error-reply.js';

/** The catalogue error for a parser error of Node's HTTP server. */
export function clientErrorOf(error: NodeJS.ErrnoException, requestTimeoutMs: number): BerthError {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return Errors.REQUEST_TIMEOUT.create(requestTimeoutMs);
    case 'HPE_HEADER_OVERFLOW':
      return Errors.REQUEST_HEADERS_TOO_LARGE.create();
    default:
      return Errors.REQUEST_MALFORMED_HTTP.create(error.message);
  }
}

/** A Fastify `clientErrorHandler` writing catalogue errors. */
export function clientErrorHandler(requestTimeoutMs: number): (error: NodeJS.ErrnoException, socket: Socket) => void {
  return (error, socket) => {
    // A reset connection has nobody left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    if (socket.writable) {
      const failure = clientErrorOf(error, requestTimeoutMs);
      const body = JSON.stringify(errorBody(failure));
      socket.write(
        `HTTP/1.1 ${failure.httpStatus} ${STATUS_CODES[failure.httpStatus] ?? ''}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  };
}
