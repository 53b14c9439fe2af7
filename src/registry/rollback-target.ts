/**
 * The rule for "roll back": where an alias goes back to from the version it points at now. It
 * lives here, beside the audit log it reads, so the CLI, the API, the dashboard and rollouts all
 * roll back the same way.
 */

/** One move of an alias, from the audit log's `alias.set` entries. */
export interface AliasMove {
  readonly seq: number;
  /** The version the alias was pointed at. */
  readonly version: number;
  /** The version it pointed at before, or null when the alias was new. */
  readonly previous: number | null;
}

/**
 * The version to roll an alias back to from `current`: always an older version (a lower number),
 * preferring the one the alias most recently pointed at, so that after v1 → v2 → v3 → v2 the next
 * roll back goes to v1, not forward to v3. Without such history (or when those versions were
 * deleted), the newest existing version below `current`. Null when there is none.
 *
 * @example
 *   rollbackTarget([{ seq: 1, version: 1, previous: null }, { seq: 2, version: 3, previous: 1 }], 3, new Set([1, 2, 3])); // 1
 */
export function rollbackTarget(moves: readonly AliasMove[], current: number, versions: ReadonlySet<number>): number | null {
  for (const move of [...moves].sort((a, b) => b.seq - a.seq)) {
    for (const candidate of [move.version, move.previous]) {
      if (candidate !== null && candidate < current && versions.has(candidate)) return candidate;
    }
  }
  const older = [...versions].filter((v) => v < current);
  return older.length > 0 ? Math.max(...older) : null;
}
