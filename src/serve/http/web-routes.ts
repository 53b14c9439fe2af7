/**
 * Serves the web dashboard (the build of `web/`, in `web/dist`) at `/`: `index.html` at `/` and
 * the hashed bundles under `/assets/`. The dashboard routes its pages in the URL's hash, so no
 * other path belongs to it and every other 404 stays the API's JSON error.
 *
 * When the build is missing (a checkout where `npm run build:web` has not run), `/` answers a
 * short page that says how to build it; the API and inference routes are unaffected.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Options for {@link registerWebRoutes}. */
export interface WebRoutesOptions {
  /** The dashboard build: a folder holding `index.html` and `assets/`. */
  readonly root: string;
}

/** `web/dist` of this checkout or package, found from this file in `src/serve/http` or `dist/serve/http`. */
export function defaultWebRoot(): string {
  return fileURLToPath(new URL('../../../web/dist/', import.meta.url));
}

/**
 * Headers of the dashboard page. The dashboard holds admin actions (promote, delete), so it may
 * not be framed by another site (clickjacking), and it loads nothing from anywhere but this server.
 */
const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // index.html names the current hashed bundles, so browsers must check it on every visit.
  'cache-control': 'no-cache',
};

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Berth: dashboard not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5">
<h1>The dashboard is not built</h1>
<p>This Berth server is running, but its web dashboard has not been built, so there is nothing to show here.
Build it with <code>npm run build:web</code> (or <code>npm ci</code>, which builds everything) and reload this page.</p>
<p>The APIs work without it: <a href="api/docs">/api/docs</a> describes the management API, and
<a href="v2">/v2</a> the inference protocol.</p>
</body></html>
`;

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Adds the dashboard's routes to `app`, inside their own encapsulated scope so that the static
 * file plugin's decorations never meet another plugin's.
 *
 * @example
 *   registerWebRoutes(app, { root: defaultWebRoot() });
 */
export function registerWebRoutes(app: FastifyInstance, options: WebRoutesOptions): void {
  const { root } = options;
  const index = join(root, 'index.html');
  void app.register(async (scope) => {
    // Bundles have content hashes in their names: a name never changes content, so cache for a year.
    await scope.register(fastifyStatic, {
      root: join(root, 'assets'),
      prefix: '/assets/',
      index: false,
      immutable: true,
      maxAge: '365d',
      // Read each request, so a build made while the server runs is served without a restart.
      wildcard: true,
    });

    const page = async (_request: unknown, reply: FastifyReply): Promise<FastifyReply> => {
      void reply.headers(PAGE_HEADERS);
      if (!(await isFile(index))) return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
      return reply.sendFile('index.html', root, { cacheControl: false });
    };
    scope.get('/', page);
    scope.get('/index.html', page);
  });
}
