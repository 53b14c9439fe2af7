/**
 * What a conformance check is and what it gets to work with: raw HTTP against the server under
 * test (so the wire itself is checked, not a client's reading of it), and assertions that fail
 * with a message saying what was expected and what came back.
 */
import { type ExactJson, parseExactJson } from '../client/exact-json.js';

/** Which rules a run holds the server to. */
export type ConformanceProfile = 'oip' | 'berth';

/** The part of the protocol a check covers. */
export type CheckArea = 'health' | 'metadata' | 'datatypes' | 'binary' | 'outputs' | 'errors';

/** An answer read whole. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly bytes: Uint8Array;
  readonly text: string;
  /** The body parsed as JSON (64-bit integers as BigInt), or undefined when it is not JSON. */
  readonly json: ExactJson | undefined;
}

/** A request to send. */
export interface HttpRequest {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly body?: string | Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a check runs with. */
export interface CheckContext {
  /** Base URL of the server under test, without a trailing slash. */
  readonly url: string;
  /**
   * `oip`: what the Open Inference Protocol requires (statuses, `{"error": "..."}` bodies, exact
   * values). `berth`: also Berth's own promises (catalogue codes and messages, decimal strings
   * for 64-bit integers).
   */
  readonly profile: ConformanceProfile;
  /** Sends a request to `path` on the server and reads the whole answer. */
  send(path: string, request?: HttpRequest): Promise<HttpAnswer>;
}

/** One check of the suite. */
export interface ConformanceCheck {
  /** Stable id, e.g. `datatypes.json.INT64`. */
  readonly id: string;
  readonly area: CheckArea;
  /** What it checks, in a sentence. */
  readonly title: string;
  /** Conformance models it needs served (see conformance-models.ts); it is skipped without them. */
  readonly models: readonly string[];
  /** A Berth extension beyond the protocol: run only with the `berth` profile. */
  readonly berthOnly: boolean;
  /** Runs the check; throws {@link CheckFailure} when the server does not conform. */
  run(context: CheckContext): Promise<void>;
}

/** A server that does not conform, with what was expected and what came back. */
export class CheckFailure extends Error {
  override readonly name = 'CheckFailure';
}

/** Fails the check with `message` unless `condition` holds. */
export function must(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckFailure(message);
}

/** JSON text of a value for messages (BigInt as digits, long texts cut). */
export function show(value: unknown, maxLength = 300): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
  return text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
}

/** Fails unless `actual` equals `expected` (deeply; NaN equals NaN). */
export function mustEqual(actual: unknown, expected: unknown, what: string): void {
  must(sameValue(actual, expected), `${what}: expected ${show(expected)}, got ${show(actual)}`);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b) || a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

/** The answer's JSON object, or a failure naming the status and body. */
export function jsonObject(answer: HttpAnswer, what: string): { [key: string]: ExactJson } {
  const json = answer.json;
  must(typeof json === 'object' && json !== null && !Array.isArray(json), `${what}: expected a JSON object, got ${answer.status} ${show(answer.text, 200)}`);
  return json as { [key: string]: ExactJson };
}

const utf8 = new TextDecoder('utf-8');

/** A {@link CheckContext} over fetch. */
export function httpContext(url: string, profile: ConformanceProfile, options: { readonly headers?: Readonly<Record<string, string>>; readonly timeoutMs?: number } = {}): CheckContext {
  const base = url.replace(/\/+$/, '');
  return {
    url: base,
    profile,
    async send(path, request = {}) {
      const response = await fetch(base + path, {
        method: request.method ?? (request.body === undefined ? 'GET' : 'POST'),
        headers: { ...options.headers, ...request.headers },
        ...(request.body !== undefined ? { body: request.body as string } : {}),
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
      const bytes = new Uint8Array(await response.arrayBuffer());
      const text = utf8.decode(bytes);
      let json: ExactJson | undefined;
      try {
        json = parseExactJson(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, bytes, text, json };
    },
  };
}
