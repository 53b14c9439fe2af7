/**
 * A page on another origin cannot change the registry through a browser (CSRF with simple
 * requests: multipart, text/plain), and cannot reach a loopback server by DNS rebinding (a Host
 * that is not a loopback name). Clients that are not browsers send neither header and are served.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writeIdentityModel } from '../helpers/models.js';
import { startRegistryServer } from '../helpers/server.js';

let server: Awaited<ReturnType<typeof startRegistryServer>>;
let port: number;

/** A raw request, so the test sets Host and the browser-only headers exactly. */
function send(method: string, path: string, headers: Record<string, string>, body = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  server = await startRegistryServer(tempDir(), { server: { allowedOrigins: ['https://dashboard.example'], allowedHosts: ['berth.internal'] } });
  port = Number(new URL(server.url).port);
  await server.registry.register(writeIdentityModel(tempDir(), 'FP32'), { name: 'ident', aliases: ['production'] });
});
afterAll(async () => {
  await server?.close();
});

describe('origin and host checks', () => {
  const alias = '/api/models/ident/aliases/staging';
  const json = { 'content-type': 'application/json' };

  it('refuses a state change from another origin, whatever the content type, and changes nothing', async () => {
    for (const headers of [
      { ...json, host: `127.0.0.1:${port}`, origin: 'http://evil.example' },
      { 'content-type': 'text/plain', host: `127.0.0.1:${port}`, origin: 'http://evil.example' },
      { ...json, host: `127.0.0.1:${port}`, origin: 'null' },
      { ...json, host: `127.0.0.1:${port}`, 'sec-fetch-site': 'cross-site' },
      { ...json, host: `localhost:${port}`, origin: `http://localhost:${port + 1}` },
    ]) {
      const response = await send('PUT', alias, headers, '{"version":1}');
      expect(response.status, JSON.stringify(headers)).toBe(403);
      expect(JSON.parse(response.body)).toMatchObject({ code: 'BERTH_AUTH_ORIGIN_REFUSED' });
    }
    expect((await server.registry.getModel('ident')).aliases).not.toHaveProperty('staging');
  });

  it('refuses a state change from another origin however the path is spelt (percent-encoded, doubled slashes)', async () => {
    const cross = { ...json, host: `127.0.0.1:${port}`, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' };
    for (const path of ['/%61pi/models/ident/aliases/staging', '/ap%69/models/ident/aliases/staging', '/%61%70%69/models/ident/aliases/staging', '/api/models/ident/aliases/st%61ging']) {
      const response = await send('PUT', path, cross, '{"version":1}');
      expect(response.status, path).toBe(403);
      expect(JSON.parse(response.body), path).toMatchObject({ code: 'BERTH_AUTH_ORIGIN_REFUSED' });
    }
    for (const path of ['/%61pi/training', '/%61pi/models']) {
      const response = await send('POST', path, { ...cross, 'content-type': 'multipart/form-data; boundary=x' }, '--x--\r\n');
      expect(response.status, path).toBe(403);
      expect(JSON.parse(response.body), path).toMatchObject({ code: 'BERTH_AUTH_ORIGIN_REFUSED' });
    }
    expect((await server.registry.getModel('ident')).aliases).not.toHaveProperty('staging');
  });

  it('leaves inference open to other origins, which changes nothing', async () => {
    const response = await send('POST', '/v2/models/ident/infer', { ...json, host: `127.0.0.1:${port}`, origin: 'http://evil.example' }, JSON.stringify({ inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', data: [1] }] }));
    expect(response.status, response.body).not.toBe(403);
  });

  it('serves the same origin, an allowed origin, and clients that are not browsers', async () => {
    const sameOrigin = await send('PUT', alias, { ...json, host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' }, '{"version":1}');
    expect(sameOrigin.status, sameOrigin.body).toBeLessThan(300);
    const allowed = await send('DELETE', alias, { host: `127.0.0.1:${port}`, origin: 'https://dashboard.example' });
    expect(allowed.status, allowed.body).toBeLessThan(300);
    const plain = await send('PUT', alias, { ...json, host: `127.0.0.1:${port}` }, '{"version":1}');
    expect(plain.status, plain.body).toBeLessThan(300);
    // Reading needs no origin check.
    expect((await send('GET', '/api/models', { host: `127.0.0.1:${port}`, origin: 'http://evil.example' })).status).toBe(200);
  });

  it('answers only loopback names (and allowed hosts) while listening on loopback: DNS rebinding gets nothing', async () => {
    // Names under .localhost, and localhost., are looked up in DNS by the server's resolver: not loopback names.
    for (const host of ['evil.example', `evil.example:${port}`, `10.0.0.1:${port}`, `rebind.localhost:${port}`, `localhost.:${port}`]) {
      for (const path of ['/api/models', '/v2/models/ident', '/v2/health/ready']) {
        const response = await send('GET', path, { host });
        expect(response.status, `${host} ${path}`).toBe(403);
        expect(JSON.parse(response.body)).toMatchObject({ code: 'BERTH_AUTH_HOST_REFUSED' });
      }
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `[::ffff:7f00:1]:${port}`, `LocalHost:${port}`, 'berth.internal']) {
      expect((await send('GET', '/v2/health/ready', { host })).status, host).toBe(200);
    }
  });
});
