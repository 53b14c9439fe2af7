/** Durations as the CLI writes them (`5m`, `10s`, `1h30m`), for a rollout's bake time and interval. */

const UNITS: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** `300000` → `5m`, `90000` → `1m30s`, `0` → `0s`; under a second, in ms. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return ms === 0 ? '0s' : `${ms}ms`;
  let rest = Math.round(ms / 1000) * 1000;
  let text = '';
  for (const [unit, size] of UNITS) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return text;
}
