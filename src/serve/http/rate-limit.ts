/**
 * Rate limits per client with @fastify/rate-limit: a client is its bearer token (hashed, never
 * kept as sent) when it sends one, else its address, so callers sharing a proxy's address can be
 * told apart by their keys. Probes and metrics are never limited: an orchestrator must always
 * see the truth.
 */
import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Errors } from '../../core/errors.js';

const UNLIMITED = /^\/(v2\/health\/(live|ready)|metrics|ping)(\?|$)/;

function clientKey(request: FastifyRequest): string {
  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1];
  return bearer === undefined ? `ip:${request.ip}` : `key:${createHash('sha256').update(bearer.trim()).digest('hex').slice(0, 32)}`;
}

/** Limits every route of `app` but the probes to `perMinute` requests per client; 0 adds nothing. */
export async function limitRate(app: FastifyInstance, perMinute: number): Promise<void> {
  if (perMinute === 0) return;
  await app.register(rateLimit, {
    global: true,
    max: perMinute,
    timeWindow: 60_000,
    hook: 'onRequest',
    keyGenerator: clientKey,
    allowList: (request) => UNLIMITED.test(request.url),
    errorResponseBuilder: (_request, context) => Errors.RATE_LIMITED.create(context.max, context.after),
  });
}
