/**
 * One JSON request to a running Berth server, for the commands that talk to one (`berth predict
 * --url`, `berth monitor --url`): a bearer token when given, and every failure (unreachable, not
 * a Berth answer, an error answer) as BERTH_REMOTE_FAILED with the server's own message and code.
 */
import { Errors } from '../core/errors.js';

/** Where the server is and how to authenticate. */
export interface RemoteServer {
  /** Base URL, e.g. `http://berth.internal:8080` (a trailing slash is fine). */
  readonly url: string;
  readonly token?: string | undefined;
}

/** Calls `path` on the server and returns its JSON answer; `what` names the call in errors. */
export async function remoteJson(server: RemoteServer, path: string, init: RequestInit, what: string): Promise<unknown> {
  const base = server.url.replace(/\/+$/, '');
  const headers = { ...(server.token ? { authorization: `Bearer ${server.token}` } : {}), ...(init.headers as Record<string, string> | undefined) };
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, { ...init, headers });
  } catch (error) {
    throw Errors.REMOTE_FAILED.create(base, `${what}: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw Errors.REMOTE_FAILED.create(base, `${what}: HTTP ${response.status}, not a Berth answer (${text.slice(0, 120)})`);
  }
  if (!response.ok) {
    const body = json as { error?: string; code?: string };
    throw Errors.REMOTE_FAILED.create(base, `${what}: ${body.error ?? `HTTP ${response.status}`}${body.code ? ` [${body.code}]` : ''}`);
  }
  return json;
}
