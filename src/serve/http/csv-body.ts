/**
 * CSV bodies: `text/csv` (or `application/csv`) is read as a string for the records codec, and
 * `text/plain` is refused rather than read as CSV, since a page on another origin can send
 * text/plain without a preflight.
 */
import type { FastifyInstance } from 'fastify';
import { Errors } from '../../core/errors.js';

/** Adds the CSV parser to `scope` and replaces its text/plain parser with a 415. */
export function acceptCsvBodies(scope: FastifyInstance): void {
  scope.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string' }, (_request, body, done) => done(null, body));
  refusePlainText(scope);
}

/** Replaces the text/plain parser of `scope` with a 415 naming text/csv. */
export function refusePlainText(scope: FastifyInstance): void {
  scope.removeContentTypeParser('text/plain');
  scope.addContentTypeParser('text/plain', (request, _payload, done) =>
    done(Errors.REQUEST_UNSUPPORTED_MEDIA_TYPE.create(request.headers['content-type'] ?? 'text/plain', 'text/csv for CSV (with a header row), or application/json'), undefined),
  );
}
