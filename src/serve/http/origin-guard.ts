/**
 * Defences for a server that browsers can reach. A page on another origin can send "simple"
 * requests (form posts, multipart, text/plain) to the server without a preflight, and through DNS
 * rebinding can even read answers from a server on loopback. So:
 * - a state-changing request to anything but inference (which changes nothing) that a browser
 *   marks as coming from another origin (Origin, Sec-Fetch-Site) is refused unless that origin is
 *   allowed; the route is the one Fastify matched, never the raw URL, which `/%61pi/...` spells
 *   differently;
 * - a server listening on loopback answers only requests addressed to a loopback name, or to a
 *   host the operator allows, which is what DNS rebinding cannot fake.
 * Clients that are not browsers send neither header and are not affected.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Errors } from '../../core/errors.js';
import { isLoopback } from '../../core/loopback.js';

/** Options of {@link guardOrigins}. */
export interface OriginGuardOptions {
  /** The address the server listens on. */
  readonly listenHost: string;
  /** Origins (`https://app.example`) allowed to change things through the management API. */
  readonly allowedOrigins: readonly string[];
  /** Host names accepted besides loopback ones when listening on loopback. */
  readonly allowedHosts: readonly string[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Inference routes: they change no state, and browsers on other origins may call them. */
const INFERENCE = /^\/(v1|v2|invocations)(\/|$)/;

/** The host name of a Host header (`[::1]:8080` → `::1`, `Localhost:80` → `localhost`). */
function hostName(header: string): string {
  const text = header.trim().toLowerCase();
  if (text.startsWith('[')) return text.slice(1, text.indexOf(']'));
  const colon = text.lastIndexOf(':');
  return colon === -1 ? text : text.slice(0, colon);
}

/** Adds the checks to every route of `app`; the origin check applies to every route but inference. */
export function guardOrigins(app: FastifyInstance, options: OriginGuardOptions): void {
  const allowedHosts = new Set(options.allowedHosts.map((h) => h.toLowerCase()));
  const allowedOrigins = new Set(options.allowedOrigins.map((o) => o.toLowerCase().replace(/\/$/, '')));
  const loopbackOnly = isLoopback(options.listenHost);

  app.addHook('onRequest', async (request: FastifyRequest) => {
    const host = request.headers.host ?? '';
    if (loopbackOnly && !isLoopback(hostName(host)) && !allowedHosts.has(hostName(host))) {
      throw Errors.AUTH_HOST_REFUSED.create(host);
    }
    if (SAFE_METHODS.has(request.method)) return;
    // Unmatched requests (404, 405) are checked too: nothing is lost by refusing them.
    const route = request.routeOptions.url;
    if (route !== undefined && INFERENCE.test(route)) return;
    const origin = request.headers.origin;
    const site = request.headers['sec-fetch-site'];
    if (origin !== undefined) {
      if (allowedOrigins.has(origin.toLowerCase())) return;
      let sameOrigin = false;
      try {
        sameOrigin = origin !== 'null' && new URL(origin).host.toLowerCase() === host.toLowerCase();
      } catch {
        sameOrigin = false;
      }
      if (!sameOrigin) throw Errors.AUTH_ORIGIN_REFUSED.create(origin);
    } else if (site === 'cross-site' || site === 'same-site') {
      throw Errors.AUTH_ORIGIN_REFUSED.create(`a ${site} page`);
    }
  });
}
