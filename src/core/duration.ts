/**
 * Durations as people write them in flags, query strings and config files: `90s`, `15m`, `1h`,
 * `7d`, `500ms`, or a plain number of milliseconds. One parser, so `berth monitor --since 1h`,
 * `?from=1h` and an alert rule's `"window": "1h"` mean the same thing.
 */

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?$/;

/**
 * Longest duration any setting may name: a thousand years (`--since 100000d` is a way to say "all
 * of it"). Much longer ones turn `now - duration` into an instant no date can represent.
 */
export const MAX_DURATION_MS = 365_250 * UNITS.d!;

/**
 * Milliseconds in a duration such as `15m`, `1.5h` or `250` (plain numbers are milliseconds), or
 * undefined when `text` is not one. Only positive durations up to MAX_DURATION_MS are accepted.
 *
 * @example
 *   parseDuration('1h'); // 3600000
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * UNITS[match[2] ?? 'ms']!;
  return ms > 0 && ms <= MAX_DURATION_MS ? Math.round(ms) : undefined;
}

/** True when `text` is written as a duration but is longer than MAX_DURATION_MS (parseDuration refuses it). */
export function exceedsMaxDuration(text: string): boolean {
  const match = DURATION.exec(text.trim());
  return match !== null && Number(match[1]) * UNITS[match[2] ?? 'ms']! > MAX_DURATION_MS;
}

/** A duration in its shortest exact form (`3600000` → `1h`), for messages and labels. */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const size = UNITS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
