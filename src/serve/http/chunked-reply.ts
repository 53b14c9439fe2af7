/** Sending large answers a slice at a time, so writing them never holds the event loop for long. */
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

/** Bytes of an answer written per turn of the event loop. */
export const REPLY_CHUNK_BYTES = 1024 * 1024;

/**
 * Sends `body` with `contentType`. A Buffer larger than {@link REPLY_CHUNK_BYTES} goes out as a
 * stream of slices of it (no copy) with its Content-Length, so the socket takes one slice per turn
 * instead of the whole answer in one write.
 */
export function sendBody(reply: FastifyReply, contentType: string, body: Buffer | string): FastifyReply {
  void reply.type(contentType);
  if (typeof body === 'string' || body.length <= REPLY_CHUNK_BYTES) return reply.send(body);
  void reply.header('content-length', body.length);
  return reply.send(Readable.from(slicesOf(body), { objectMode: false }));
}

function* slicesOf(body: Buffer): Generator<Buffer> {
  for (let at = 0; at < body.length; at += REPLY_CHUNK_BYTES) yield body.subarray(at, at + REPLY_CHUNK_BYTES);
}
