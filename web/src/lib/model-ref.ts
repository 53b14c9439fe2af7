/**
 * Model references as docs/api.md defines them: `name`, `name@alias` or `name:version`. The
 * dashboard imports nothing server-side, so this is a copy of src/core/model-ref.ts's rule;
 * test/core/model-ref.test.ts runs both over one table so they cannot drift apart.
 */
import type { ModelRecord } from '../api/api-types.js';

/** A parsed reference. */
export interface ModelRef {
  readonly name: string;
  readonly alias?: string;
  readonly version?: number;
}

/** The alias whose version a model's plain name means, when the model has it. */
export const DEFAULT_ALIAS = 'production';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Parses `loans`, `loans@staging` or `loans:3`; undefined when the server would refuse it. */
export function parseModelRef(ref: string): ModelRef | undefined {
  const colon = ref.indexOf(':');
  const at = ref.indexOf('@');
  if (colon >= 0 && at >= 0) return undefined;
  const name = ref.slice(0, colon >= 0 ? colon : at >= 0 ? at : ref.length);
  if (!NAME.test(name)) return undefined;
  if (colon >= 0) {
    const version = ref.slice(colon + 1);
    return /^[1-9][0-9]{0,8}$/.test(version) ? { name, version: Number(version) } : undefined;
  }
  if (at >= 0) {
    const alias = ref.slice(at + 1);
    return NAME.test(alias) && !/^[0-9]+$/.test(alias) ? { name, alias } : undefined;
  }
  return { name };
}

/** The version a reference resolves to, as the server resolves it: production, else the latest. */
export function resolveVersion(ref: ModelRef, model: ModelRecord): number | undefined {
  if (ref.version !== undefined) return ref.version;
  if (ref.alias !== undefined) return Object.hasOwn(model.aliases, ref.alias) ? model.aliases[ref.alias] : undefined;
  return model.aliases[DEFAULT_ALIAS] ?? model.latestVersion ?? undefined;
}
