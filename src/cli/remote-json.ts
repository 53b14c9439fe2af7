/**
 * One JSON request to a running Berth server, for the commands that talk to one (`berth predict
 * --url`, `berth monitor --url`): a bearer token when given, and every failure (unreachable, not
 * a Berth answer, an error answer) as BERTH_REMOTE_FAILED with the server's own message and code;
 * or a successful answer left unread, for a body to stream (`berth payloads --url`).
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
  const response = await remoteResponse(server, path, init, what);
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw Errors.REMOTE_FAILED.create(baseOf(server), `${what}: HTTP ${response.status}, not a Berth answer (${text.slice(0, 120)})`);
  }
}

/**
 * Calls `path` on the server and returns its successful answer unread, for a body to stream (an
 * export); an error answer is thrown as BERTH_REMOTE_FAILED like {@link remoteJson}'s.
 */
export async function remoteResponse(server: RemoteServer, path: string, init: RequestInit, what: string): Promise<Response> {
  const base = baseOf(server);
  const headers = { ...(server.token ? { authorization: `Bearer ${server.token}` } : {}), ...(init.headers as Record<string, string> | undefined) };
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, { ...init, headers });
  } catch (error) {
    throw Errors.REMOTE_FAILED.create(base, `${what}: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`);
  }
  if (response.ok) return response;
  const text = await response.text();
  let body: { error?: string; code?: string };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw Errors.REMOTE_FAILED.create(base, `${what}: HTTP ${response.status}, not a Berth answer (${text.slice(0, 120)})`);
  }
  throw Errors.REMOTE_FAILED.create(base, `${what}: ${body.error ?? `HTTP ${response.status}`}${body.code ? ` [${body.code}]` : ''}`);
}

function baseOf(server: RemoteServer): string {
  return server.url.replace(/\/+$/, '');
}
