/** Serves folders over HTTP on a free loopback port, as any static file server would serve an exported folder. */
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';

/** A running static server and the paths it was asked for. */
export interface StaticServer {
  readonly url: string;
  /** Every path requested, in order. */
  readonly requested: string[];
  close(): Promise<void>;
}

/** Serves each folder at its prefix (`{ '/': exportDir, '/fixtures/': fixturesDir }`). */
export async function serveFolders(roots: Readonly<Record<string, string>>): Promise<StaticServer> {
  const app = Fastify();
  const requested: string[] = [];
  app.addHook('onRequest', async (request) => {
    requested.push(request.url);
  });
  let first = true;
  for (const [prefix, root] of Object.entries(roots)) {
    await app.register(fastifyStatic, { root, prefix, decorateReply: first, index: ['index.html'] });
    first = false;
  }
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url: address, requested, close: () => app.close() };
}
