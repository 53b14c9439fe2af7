/**
 * The dashboard's static routes: index.html and hashed assets with the right headers, every other
 * path left to the app's JSON errors, and a page that says how to build the dashboard when the
 * build is missing. A small fake build keeps this test independent of `npm run build:web`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultWebRoot, registerWebRoutes } from '../../dist/serve/http/web-routes.js';
import { tempDir } from '../helpers/models.js';

const built = tempDir('berth-web-');
const missing = join(tempDir('berth-web-'), 'dist');
let app: FastifyInstance;
let bare: FastifyInstance;

/** An app with a JSON not-found handler, as the real server has, and the dashboard routes. */
async function appFor(root: string): Promise<FastifyInstance> {
  const instance = Fastify();
  instance.setNotFoundHandler((request, reply) => reply.code(404).send({ error: `No endpoint answers ${request.method} ${request.url}.`, code: 'BERTH_ROUTE_NOT_FOUND' }));
  instance.get('/v2', async () => ({ name: 'berth' }));
  registerWebRoutes(instance, { root });
  await instance.ready();
  return instance;
}

beforeAll(async () => {
  mkdirSync(join(built, 'assets'));
  writeFileSync(join(built, 'index.html'), '<!doctype html><title>Berth</title><script type="module" src="./assets/index-abc123.js"></script>');
  writeFileSync(join(built, 'assets', 'index-abc123.js'), 'console.log("dashboard")');
  app = await appFor(built);
  bare = await appFor(missing);
});
afterAll(async () => {
  await app?.close();
  await bare?.close();
});

describe('registerWebRoutes', () => {
  it('serves index.html at / with no-cache and headers that keep other sites from framing it', async () => {
    const response = await app.inject({ url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('<title>Berth</title>');
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect((await app.inject({ url: '/index.html' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'HEAD', url: '/' })).statusCode).toBe(200);
  });

  it('serves hashed assets as immutable for a year', async () => {
    const response = await app.inject({ url: '/assets/index-abc123.js' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/javascript/);
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('leaves every other path to the app: other routes, and JSON 404s for unknown ones and missing assets', async () => {
    expect((await app.inject({ url: '/v2' })).json()).toEqual({ name: 'berth' });
    for (const url of ['/assets/nope.js', '/models', '/api/nothing', '/assets/..%2F..%2Fpackage.json']) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json().code, url).toBe('BERTH_ROUTE_NOT_FOUND');
    }
  });

  it('answers / with a page that says how to build the dashboard when the build is missing', async () => {
    const response = await bare.inject({ url: '/' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('npm run build:web');
    expect((await bare.inject({ url: '/v2' })).statusCode).toBe(200);
  });

  it('finds web/dist of this checkout by default', () => {
    expect(defaultWebRoot()).toBe(join(new URL('../../', import.meta.url).pathname, 'web', 'dist') + '/');
  });
});
