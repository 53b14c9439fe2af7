/**
 * `text/plain` is refused rather than read as CSV: a page on another origin can send text/plain
 * without a preflight, so CSV must come as `text/csv` (or `application/csv`).
 */
import type { FastifyInstance } from 'fastify';
import { Errors } from '../../core/errors.js';

/** Replaces the text/plain parser of `scope` with a 415 naming text/csv. */
export function refusePlainText(scope: FastifyInstance): void {
  scope.removeContentTypeParser('text/plain');
  scope.addContentTypeParser('text/plain', (request, _payload, done) =>
    done(Errors.REQUEST_UNSUPPORTED_MEDIA_TYPE.create(request.headers['content-type'] ?? 'text/plain', 'text/csv for CSV (with a header row), or application/json'), undefined),
  );
}
