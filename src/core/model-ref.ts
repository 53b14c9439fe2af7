/**
 * What a model reference means, everywhere: `digits` (the model's default version), `digits:3`
 * (version 3) and `digits@production` (the version the alias points at). The registry, the
 * server, the monitor and the CLI all parse with {@link parseModelRef} and pick a plain name's
 * version with {@link defaultVersion}; versions are numbers from here inwards.
 */
import { Errors } from './errors.js';
import { validateAliasName, validateModelName } from './names.js';

/** A parsed reference to a version of a model. */
export type ModelRef =
  | { readonly model: string; readonly kind: 'default' }
  | { readonly model: string; readonly kind: 'version'; readonly version: number }
  | { readonly model: string; readonly kind: 'alias'; readonly alias: string };

/** The alias whose version a model's plain name means, when the model has it. */
export const DEFAULT_ALIAS = 'production';

/**
 * Parses `model`, `model:version` or `model@alias`. Throws BERTH_REGISTRY_REFERENCE_INVALID for a
 * malformed reference or version, BERTH_REGISTRY_NAME_INVALID for a bad model or alias name.
 *
 * @example
 *   parseModelRef('digits@production'); // { model: 'digits', kind: 'alias', alias: 'production' }
 */
export function parseModelRef(reference: string): ModelRef {
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
  return { model: validateModelName(reference), kind: 'default' };
}

/**
 * Parses a version number as the wire carries it (1, 2, 3 …). Throws
 * BERTH_REGISTRY_REFERENCE_INVALID naming `context` (the whole reference, say).
 */
export function parseVersionNumber(text: string, context = text): number {
  if (!/^[1-9][0-9]{0,8}$/.test(text)) throw Errors.REGISTRY_REFERENCE_INVALID.create(context, `version '${text}' is not a whole number from 1 up`);
  return Number(text);
}

/** Writes a reference back in its text form. */
export function formatModelRef(ref: ModelRef): string {
  if (ref.kind === 'version') return `${ref.model}:${ref.version}`;
  if (ref.kind === 'alias') return `${ref.model}@${ref.alias}`;
  return ref.model;
}

/** What the default-version rule looks at: a model's aliases and its latest version. */
export interface DefaultVersionInput {
  /** alias → version. */
  readonly aliases: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  /** The highest version number; undefined or null when the model has no version. */
  readonly latestVersion: number | null | undefined;
}

/**
 * The version a model's plain name means: the one its `production` alias points at, else its
 * latest version; undefined when it has neither.
 *
 * @example
 *   defaultVersion({ aliases: { staging: 3 }, latestVersion: 3 }); // 3
 */
export function defaultVersion(model: DefaultVersionInput): number | undefined {
  const production = model.aliases instanceof Map ? model.aliases.get(DEFAULT_ALIAS) : (model.aliases as Readonly<Record<string, number>>)[DEFAULT_ALIAS];
  return production ?? model.latestVersion ?? undefined;
}
