/**
 * Start-up failures to bind a port, as catalogue errors that say what to do: a busy port is an
 * operator's everyday mistake, not a bug to report with a stack trace.
 */
import { BerthError, Errors } from '../core/errors.js';

const REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'no interface of this machine has that address',
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
