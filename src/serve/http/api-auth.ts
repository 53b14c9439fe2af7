/**
 * Bearer-token protection of the management API. Whether a token is required (beyond loopback)
 * is a rule of the config schema (core/config.ts), checked before the server starts.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Errors } from '../../core/errors.js';

/** Requires `Authorization: Bearer <token>` on every route of `scope`. */
export function requireBearer(scope: FastifyInstance, token: string): void {
  const expected = Buffer.from(token);
  scope.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(.+)$/i.exec(header);
    if (!match) {
      void reply.header('www-authenticate', 'Bearer realm="berth"');
      throw Errors.AUTH_REQUIRED.create();
    }
    const given = Buffer.from(match[1]!.trim());
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      void reply.header('www-authenticate', 'Bearer realm="berth", error="invalid_token"');
      throw Errors.AUTH_INVALID.create();
    }
  });
}
