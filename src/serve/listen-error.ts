/**
 * Start-up failures to bind a port, as catalogue errors that say what to do: a busy port is an
 * operator's everyday mistake, not a bug to report with a stack trace.
 */
import { BerthError, Errors } from '../core/errors.js';

/** Per system error: what happened, and what to do about it. */
const REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is already in use. Choose another port (--port, --grpc-port; 0 picks a free one) or stop what holds this one',
  EACCES: 'permission denied: ports below 1024 need privileges. Choose a port of 1024 or more (--port, --grpc-port)',
  EADDRNOTAVAIL: 'no interface of this machine has that address. Choose an address this machine has (--host; 0.0.0.0 listens on all of them)',
};

/** The error to report for a failed listen of `what` (e.g. "HTTP") on host:port. */
export function listenError(what: string, host: string, port: number, error: unknown): unknown {
  if (error instanceof BerthError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  // grpc-js reports the system error only inside its message.
  const known = Object.keys(REASONS).find((c) => c === code || message.includes(c));
  if (known === undefined) return error;
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return Errors.SERVER_LISTEN_FAILED.create(what, address, REASONS[known]!);
}
