/**
 * Closing the HTTP listener without resetting keep-alive clients. Node's `server.close()` destroys
 * every idle keep-alive connection at once, and a client that sent its next request on one in
 * that instant gets ECONNRESET for a request the server never saw. No maintained library tracks
 * connections this way for a Fastify server, so this module does: it stops accepting, lets each
 * connection finish the request it carries (its answer says `Connection: close`), and closes a
 * connection only once it has been idle for `idleGraceMs`, the way a keep-alive timeout would.
 */
import type { Server } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

interface ConnectionState {
  /** Requests received and not yet answered on this connection. */
  busy: number;
  /** When the connection last became idle (performance.now()). */
  idleSince: number;
}

/** The connections of one HTTP server, followed from the moment it is created. */
export class ConnectionDrain {
  readonly #server: Server;
  readonly #connections = new Map<Socket, ConnectionState>();

  constructor(server: Server) {
    this.#server = server;
    server.on('connection', (socket: Socket) => {
      this.#connections.set(socket, { busy: 0, idleSince: performance.now() });
      socket.once('close', () => this.#connections.delete(socket));
    });
    server.on('request', (request, response) => {
      const state = this.#connections.get(request.socket);
      if (!state) return;
      state.busy += 1;
      response.once('close', () => {
        state.busy -= 1;
        state.idleSince = performance.now();
      });
    });
  }

  /**
   * Stops accepting connections, then resolves once every connection has closed: those carrying
   * a request close after its answer, idle ones once they have been idle for `idleGraceMs`.
   */
  async close(idleGraceMs: number): Promise<void> {
    // The plain net close stops the listener and leaves idle connections alone, unlike http's.
    if (this.#server.listening) NetServer.prototype.close.call(this.#server);
    while (this.#connections.size > 0) {
      const now = performance.now();
      let wait = idleGraceMs;
      for (const [socket, state] of this.#connections) {
        if (state.busy > 0) continue;
        const idleFor = now - state.idleSince;
        if (idleFor >= idleGraceMs) socket.destroy();
        else wait = Math.min(wait, idleGraceMs - idleFor);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(10, Math.min(wait, 100))));
    }
  }
}
