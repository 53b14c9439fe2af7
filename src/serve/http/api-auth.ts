/** Bearer-token protection of the management API. */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Errors } from '../../core/errors.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.\d+\.\d+\.\d+)$/;

/** True for hosts reachable only from this machine. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host.replace(/^\[|\]$/g, ''));
}

/**
 * The token `/api/` requires, or undefined when it is open. Listening beyond loopback without a
 * token is refused: a registry anyone on the network can change is not a default Berth ships.
 */
export function apiToken(host: string, token: string | undefined): string | undefined {
  if (token === undefined && !isLoopback(host)) {
    throw Errors.CONFIG_INVALID.create(
      `the server listens on ${host}, beyond this machine, so the management API needs a token: set BERTH_ADMIN_TOKEN (or server.adminToken)`,
    );
  }
  return token;
}

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
