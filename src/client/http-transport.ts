/**
 * One HTTP exchange with retries and a timeout: the only place the client calls fetch. A 503 (or
 * 429) is retried after the server's Retry-After, else after an exponential backoff; a refused
 * connection is retried only for requests that change nothing (GET). Each attempt has its own
 * timeout, which covers reading the whole answer.
 */
import { BerthConnectionError, BerthProtocolError, BerthServerError, BerthTimeoutError } from './client-errors.js';

/** How the client retries and times out. */
export interface RetryOptions {
  /** Attempts after the first for a 503 or 429 answer (and a failed connection for GET); default 3. */
  readonly retries?: number;
  /** Wait before the first retry when the server names none; doubled each time; default 100 ms. */
  readonly retryBaseDelayMs?: number;
  /** The longest wait the client accepts; a Retry-After beyond it ends the retries; default 30 s. */
  readonly maxRetryDelayMs?: number;
  /** Longest one attempt may take, answer read included; default 30 s; 0 waits forever. */
  readonly timeoutMs?: number;
}

/** Options of the transport. */
export interface TransportOptions extends RetryOptions {
  /** Server base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Sent as `Authorization: Bearer` (the server's BERTH_ADMIN_TOKEN). */
  readonly token?: string;
  /** Sent with every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A fetch to use instead of the global one (a proxy agent, a test double). */
  readonly fetch?: typeof fetch;
}

/** One request. */
export interface ExchangeRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: string | Uint8Array | FormData;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /** Per-request override of the client's retry options. */
  readonly retry?: RetryOptions;
}

/** An answer read whole. */
export interface Exchange {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array;
}

const RETRY_STATUSES = new Set([429, 503]);

/**
 * Milliseconds a Retry-After value asks for (delta-seconds or an HTTP date), or undefined.
 *
 * @example retryAfterMs('2') // 2000
 */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const utf8 = new TextDecoder('utf-8');

/** Sends requests to one server. */
export class HttpTransport {
  readonly #options: TransportOptions;
  readonly #base: string;

  constructor(options: TransportOptions) {
    this.#options = options;
    this.#base = options.url.replace(/\/+$/, '');
    // Fail at construction, not at the first call, for a URL fetch cannot use.
    new URL(this.#base);
  }

  /** The server's base URL, without a trailing slash. */
  get url(): string {
    return this.#base;
  }

  /** Sends `request`, retrying as configured; throws BerthServerError for an error status. */
  async exchange(request: ExchangeRequest): Promise<Exchange> {
    const retry = { ...this.#options, ...request.retry };
    const retries = retry.retries ?? 3;
    const baseDelay = retry.retryBaseDelayMs ?? 100;
    const maxDelay = retry.maxRetryDelayMs ?? 30_000;
    for (let attempt = 0; ; attempt++) {
      let answer: Exchange;
      try {
        answer = await this.#attempt(request, retry.timeoutMs ?? 30_000);
      } catch (error) {
        if (error instanceof BerthConnectionError && request.method === 'GET' && attempt < retries) {
          await sleep(Math.min(maxDelay, baseDelay * 2 ** attempt), request.signal);
          continue;
        }
        throw error;
      }
      if (answer.status < 400) return answer;
      if (RETRY_STATUSES.has(answer.status) && attempt < retries) {
        const asked = retryAfterMs(answer.headers.get('retry-after'));
        const delay = asked ?? Math.min(maxDelay, baseDelay * 2 ** attempt);
        if (delay <= maxDelay) {
          await sleep(delay, request.signal);
          continue;
        }
      }
      throw serverError(answer, request);
    }
  }

  /**
   * Opens a streamed answer (server-sent events): retried and timed out like {@link exchange} until
   * the status arrives, then the body is the caller's to read, for as long as it lasts.
   */
  async stream(request: ExchangeRequest): Promise<Response> {
    const retry = { ...this.#options, ...request.retry };
    const retries = retry.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      const response = await this.#attempt(request, retry.timeoutMs ?? 30_000, true);
      if (response.status < 400) return response.response!;
      const delay = retryAfterMs(response.headers.get('retry-after')) ?? Math.min(retry.maxRetryDelayMs ?? 30_000, (retry.retryBaseDelayMs ?? 100) * 2 ** attempt);
      if (RETRY_STATUSES.has(response.status) && attempt < retries && delay <= (retry.maxRetryDelayMs ?? 30_000)) {
        await sleep(delay, request.signal);
        continue;
      }
      throw serverError(response, request);
    }
  }

  async #attempt(request: ExchangeRequest, timeoutMs: number): Promise<Exchange>;
  async #attempt(request: ExchangeRequest, timeoutMs: number, streamed: true): Promise<Exchange & { response?: Response }>;
  async #attempt(request: ExchangeRequest, timeoutMs: number, streamed = false): Promise<Exchange & { response?: Response }> {
    const url = new URL(this.#base + request.path);
    for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { accept: 'application/json', ...this.#options.headers, ...request.headers };
    if (this.#options.token) headers.authorization = `Bearer ${this.#options.token}`;
    const controller = new AbortController();
    const onAbort = () => controller.abort(request.signal!.reason);
    if (request.signal?.aborted) throw request.signal.reason;
    request.signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = timeoutMs > 0 ? setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs) : undefined;
    try {
      const response = await (this.#options.fetch ?? fetch)(url, {
        method: request.method,
        headers,
        ...(request.body !== undefined ? { body: request.body as string } : {}),
        signal: controller.signal,
      });
      if (streamed && response.ok) return { status: response.status, headers: response.headers, body: new Uint8Array(0), response };
      const body = new Uint8Array(await response.arrayBuffer());
      return { status: response.status, headers: response.headers, body };
    } catch (error) {
      if (timedOut) throw new BerthTimeoutError(`${request.method} ${url.pathname} got no answer within ${timeoutMs} ms; raise timeoutMs or check the server`, timeoutMs);
      if (request.signal?.aborted) throw request.signal.reason;
      throw new BerthConnectionError(`Cannot reach the Berth server at ${this.#base} (${describe(error)}). Is it running, and is the URL right?`, error);
    } finally {
      clearTimeout(timer);
      // A stream keeps listening for the caller's abort while its body is read.
      if (!streamed) request.signal?.removeEventListener('abort', onAbort);
    }
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

/** The typed error of an error answer: the catalogue code when the body carries one. */
function serverError(answer: Exchange, request: ExchangeRequest): BerthServerError {
  const text = utf8.decode(answer.body);
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (a proxy's HTML page, say): the text is the message.
  }
  const fields = typeof body === 'object' && body !== null ? (body as { error?: unknown; code?: unknown }) : {};
  const message = typeof fields.error === 'string' ? fields.error : `${request.method} ${request.path} answered ${answer.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
  const code = typeof fields.code === 'string' && fields.code.startsWith('BERTH_') ? (fields.code as BerthServerError['code']) : (`HTTP_${answer.status}` as const);
  return new BerthServerError(message, code, answer.status, answer.headers.get('x-request-id') ?? undefined, body);
}

/** Parses a JSON answer, or throws BerthProtocolError. */
export function jsonOf<T>(answer: Exchange): T {
  const text = utf8.decode(answer.body);
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new BerthProtocolError(`The server answered ${answer.status} with a body that is not JSON: ${text.slice(0, 200)}`, error);
  }
}
