/**
 * Errors the client throws. A server's error answer becomes a {@link BerthServerError} carrying
 * the catalogue code (`BERTH_...`, see docs/errors.md) so callers branch on `code`, not on text.
 */
import type { ErrorCode } from '../core/errors.js';

export type { ErrorCode };

/** What a client error's `code` may be. */
export type ClientErrorCode = ErrorCode | `HTTP_${number}` | 'TIMEOUT' | 'NETWORK' | 'PROTOCOL';

/** Every error the client throws; `code` says which kind. */
export class BerthClientError<Code extends ClientErrorCode = ClientErrorCode> extends Error {
  override name = 'BerthClientError';
  constructor(
    message: string,
    /** A catalogue code (`BERTH_...`), `HTTP_<status>` from a server that sent none, `TIMEOUT`, `NETWORK` or `PROTOCOL`. */
    readonly code: Code,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The server answered with an error status. */
export class BerthServerError extends BerthClientError<ErrorCode | `HTTP_${number}`> {
  override name = 'BerthServerError';
  constructor(
    message: string,
    code: ErrorCode | `HTTP_${number}`,
    /** The HTTP status. */
    readonly status: number,
    /** The request id the server answered with (`x-request-id`), for its logs. */
    readonly requestId: string | undefined,
    /** The error body as sent, for fields beyond `error` and `code`. */
    readonly body: unknown,
  ) {
    super(message, code);
  }
}

/** No answer within the client's timeout (per attempt). */
export class BerthTimeoutError extends BerthClientError<'TIMEOUT'> {
  override name = 'BerthTimeoutError';
  constructor(
    message: string,
    readonly timeoutMs: number,
  ) {
    super(message, 'TIMEOUT');
  }
}

/** The server could not be reached (refused, reset, DNS). */
export class BerthConnectionError extends BerthClientError<'NETWORK'> {
  override name = 'BerthConnectionError';
  constructor(message: string, cause: unknown) {
    super(message, 'NETWORK', { cause });
  }
}

/** The server's answer does not follow the protocol (bad JSON, sizes that do not add up). */
export class BerthProtocolError extends BerthClientError<'PROTOCOL'> {
  override name = 'BerthProtocolError';
  constructor(message: string, cause?: unknown) {
    super(message, 'PROTOCOL', { cause });
  }
}
