/** Model references as docs/api.md defines them: `name`, `name@alias` or `name:version`. */
import type { ModelRecord } from '../api/api-types.js';

/** A parsed reference. */
export interface ModelRef {
  readonly name: string;
  readonly alias?: string;
  readonly version?: number;
}

/** Parses `loans`, `loans@staging` or `loans:3`. */
export function parseModelRef(ref: string): ModelRef {
  const at = ref.lastIndexOf('@');
  if (at > 0) return { name: ref.slice(0, at), alias: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(':');
  if (colon > 0 && /^\d+$/.test(ref.slice(colon + 1))) return { name: ref.slice(0, colon), version: Number(ref.slice(colon + 1)) };
  return { name: ref };
}

/** The version a reference resolves to, as the server resolves it: production, else the latest. */
export function resolveVersion(ref: ModelRef, model: ModelRecord): number | undefined {
  if (ref.version !== undefined) return ref.version;
  if (ref.alias !== undefined) return model.aliases[ref.alias];
  return model.aliases.production ?? model.latestVersion ?? undefined;
}
