/**
 * The dashboard's one way to call the server: JSON in and out, the admin token as a Bearer header,
 * catalogue errors (`{"error", "code"}`) turned into {@link ApiError}, and a 401 turned into a
 * request for the token.
 */
import { currentToken, requireToken } from './auth-store.js';

/** An error answer of the API, or a failure to reach it (status 0). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    message: string,
    readonly status: number,
    /** The catalogue code (`BERTH_...`), or `NETWORK` when the server could not be reached. */
    readonly code: string,
  ) {
    super(message);
  }

  /** True when no route answers: the server is older than the dashboard, or the feature is off. */
  get missingRoute(): boolean {
    return this.code === 'BERTH_ROUTE_NOT_FOUND';
  }
}

/** Options of {@link apiRequest}. */
export interface RequestOptions {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** Sent as JSON. */
  readonly json?: unknown;
  /** Sent as it is (multipart form data, CSV text). */
  readonly body?: BodyInit;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/** `path` with its query string; undefined values are left out. */
export function withQuery(path: string, query: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}${path.includes('?') ? '&' : '?'}${text}` : path;
}

/** Makes a path segment of a model name, alias or id safe in a URL. */
export function segment(value: string | number): string {
  return encodeURIComponent(String(value));
}

/** Sends a request and returns the response, throwing ApiError for error statuses. */
export async function apiFetch(path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  const token = currentToken();
  if (token) headers.authorization = `Bearer ${token}`;
  let body = options.body;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  // Relative URLs: the dashboard works wherever Berth is mounted.
  const url = withQuery(path.replace(/^\//, ''), options.query);
  let response: Response;
  try {
    response = await fetch(url, { method: options.method ?? 'GET', headers, body, signal: options.signal });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ApiError('Cannot reach the Berth server. Is it running? Check the network and try again.', 0, 'NETWORK');
  }
  if (response.ok) return response;
  throw await errorOf(response);
}

/** Sends a request and parses the JSON answer. */
export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await apiFetch(path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

async function errorOf(response: Response): Promise<ApiError> {
  let message = `The server answered ${response.status} ${response.statusText}.`;
  let code = `HTTP_${response.status}`;
  try {
    const body = (await response.json()) as { error?: unknown; code?: unknown };
    if (typeof body.error === 'string') message = body.error;
    if (typeof body.code === 'string') code = body.code;
  } catch {
    // Not a catalogue error (a proxy's page, say): keep the status line.
  }
  if (response.status === 401) requireToken(message);
  return new ApiError(message, response.status, code);
}

/**
 * Reads a `text/event-stream` and calls `onData` with each event's parsed JSON data. Uses fetch
 * rather than EventSource because EventSource cannot send the Authorization header. Resolves when
 * the server ends the stream; rejects with ApiError or when `signal` aborts.
 */
export async function streamEvents(path: string, onData: (data: unknown) => void, signal: AbortSignal): Promise<void> {
  const response = await apiFetch(path, { headers: { accept: 'text/event-stream' }, signal });
  if (!response.body) throw new ApiError('The server sent no event stream.', response.status, 'NO_STREAM');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data) {
        try {
          onData(JSON.parse(data));
        } catch {
          // A keep-alive or a non-JSON event: nothing to show.
        }
      }
    }
  }
}
