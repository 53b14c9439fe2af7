/**
 * References to versions as people write them: `digits` (the latest version), `digits:3` (version
 * 3) and `digits@production` (what the alias points at).
 */
import { Errors } from '../core/errors.js';
import { validateAliasName, validateModelName } from './names.js';

/** A parsed reference to a version of a model. */
export type VersionRef =
  | { readonly model: string; readonly kind: 'latest' }
  | { readonly model: string; readonly kind: 'version'; readonly version: number }
  | { readonly model: string; readonly kind: 'alias'; readonly alias: string };

/**
 * Parses `model`, `model:version` or `model@alias`. Throws BERTH_REGISTRY_REFERENCE_INVALID, or
 * BERTH_REGISTRY_NAME_INVALID for a bad model or alias name.
 *
 * @example
 *   parseVersionRef('digits@production'); // { model: 'digits', kind: 'alias', alias: 'production' }
 */
export function parseVersionRef(reference: string): VersionRef {
  const colon = reference.indexOf(':');
  const at = reference.indexOf('@');
  if (colon >= 0 && at >= 0) throw Errors.REGISTRY_REFERENCE_INVALID.create(reference, "it has both ':' and '@'");
  if (colon >= 0) {
    const model = validateModelName(reference.slice(0, colon));
    return { model, kind: 'version', version: parseVersionNumber(reference.slice(colon + 1), reference) };
  }
  if (at >= 0) {
    const model = validateModelName(reference.slice(0, at));
    return { model, kind: 'alias', alias: validateAliasName(reference.slice(at + 1)) };
  }
  return { model: validateModelName(reference), kind: 'latest' };
}

/** Parses a version number (1, 2, 3 …). Throws BERTH_REGISTRY_REFERENCE_INVALID naming `context`. */
export function parseVersionNumber(text: string, context = text): number {
  if (!/^[1-9][0-9]{0,8}$/.test(text)) throw Errors.REGISTRY_REFERENCE_INVALID.create(context, `version '${text}' is not a whole number from 1 up`);
  return Number(text);
}

/** Writes a reference back in its text form. */
export function formatVersionRef(ref: VersionRef): string {
  if (ref.kind === 'version') return `${ref.model}:${ref.version}`;
  if (ref.kind === 'alias') return `${ref.model}@${ref.alias}`;
  return ref.model;
}
