/** Where "roll back" takes an alias. */
import type { AuditEntry } from '../api/api-types.js';

/**
 * The version to roll `alias` back to from `current`: always an older version (a lower number),
 * preferring the one the alias most recently pointed at, from the audit log's `alias.set`
 * entries (each names its version and `details.previous`), so that after v1 → v2 → v3 → v2 the
 * next roll back goes to v1, not forward to v3. Without such history, the newest existing version
 * below `current`. Null when there is none.
 */
export function rollbackTarget(alias: string, current: number, audit: readonly AuditEntry[] | undefined, versions: readonly number[]): number | null {
  const existing = new Set(versions);
  const moves = (audit ?? []).filter((e) => e.action === 'alias.set' && e.alias === alias).sort((a, b) => b.seq - a.seq);
  for (const move of moves) {
    const previous = move.details.previous;
    for (const candidate of [move.version, typeof previous === 'number' ? previous : null]) {
      if (candidate !== null && candidate < current && existing.has(candidate)) return candidate;
    }
  }
  const older = versions.filter((v) => v < current);
  return older.length > 0 ? Math.max(...older) : null;
}
