/** A CloudEvents sink on loopback for tests: an HTTP server that answers 200 and keeps every POST. */
import { createServer } from 'node:http';

/** A POST the receiver got. */
export interface ReceivedPost {
  /** `chunked` for a body sent as it was made. */
  readonly transferEncoding: string | undefined;
  readonly text: string;
}

/** A running receiver. */
export interface SinkReceiver {
  /** The URL to give `monitor.payloads.sink.url`. */
  readonly url: string;
  /** What it got, in order. */
  readonly posts: readonly ReceivedPost[];
  close(): void;
}

export async function startSinkReceiver(): Promise<SinkReceiver> {
  const posts: ReceivedPost[] = [];
  const server = createServer((request, response) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => {
      posts.push({ transferEncoding: request.headers['transfer-encoding'], text });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/lake`,
    posts,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}
