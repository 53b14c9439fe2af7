/**
 * What an API key may do. A key holds one or more scopes; a route needs one of a few:
 * - `predict`: run models (inference on every protocol, named-record prediction, feedback) and
 *   read what a client needs to call them (model metadata and readiness);
 * - `read`: read the management API (models, versions, monitoring, audit) and `/metrics`;
 * - `admin`: everything, including changing the registry and managing keys.
 */

/** Every scope, from least to most. */
export const ACCESS_SCOPES = ['predict', 'read', 'admin'] as const;

/** One scope of an API key. */
export type AccessScope = (typeof ACCESS_SCOPES)[number];

/** True when `value` names a scope. */
export function isAccessScope(value: string): value is AccessScope {
  return (ACCESS_SCOPES as readonly string[]).includes(value);
}

/** True when a key holding `held` may use a route that accepts any scope of `accepted` (`admin` may use every route). */
export function scopesAllow(held: readonly AccessScope[], accepted: readonly AccessScope[]): boolean {
  return held.includes('admin') || accepted.some((scope) => held.includes(scope));
}
