/**
 * Rate limits per client with @fastify/rate-limit: a client is the live API key (or admin token)
 * it sends, else its address, so callers sharing a proxy's address can be told apart by their
 * keys while made-up bearer tokens share their address's budget. Probes and metrics are never
 * limited: an orchestrator must always see the truth.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Errors } from '../../core/errors.js';

const UNLIMITED = /^\/(v2\/health\/(live|ready)|metrics|ping)$/;

async function clientKey(request: FastifyRequest): Promise<string> {
  // guardAccess decorates the app with its AccessControl; without one no credential is live.
  const who = await request.server.accessControl?.identify(request.headers.authorization);
  return who === undefined ? `ip:${request.ip}` : who;
}

/**
 * Limits every route of `app` but the probes to `perMinute` requests per client; 0 adds nothing.
 * Call it before guardAccess: its hook then counts a request before the credential is checked,
 * so refused guesses spend their address's budget too.
 */
export async function limitRate(app: FastifyInstance, perMinute: number): Promise<void> {
  if (perMinute === 0) return;
  let limit: ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) | undefined;
  // Added now, not by the plugin's per-route hooks, so it runs before later hooks and on unmatched routes.
  app.addHook('onRequest', async (request, reply) => {
    limit ??= app.rateLimit().bind(app) as (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    await limit(request, reply);
  });
  await app.register(rateLimit, {
    global: false,
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: clientKey,
    // The route that matched, not the raw URL, which percent-encoding spells differently.
    allowList: (request) => UNLIMITED.test(request.routeOptions.url ?? ''),
    errorResponseBuilder: (_request, context) => Errors.RATE_LIMITED.create(context.max, context.after),
  });
}
