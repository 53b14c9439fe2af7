/** How the dashboard writes numbers, sizes, times and digests: compact, and the same everywhere. */

// Thousands are grouped from five digits on, so years read as 1920 and 2023, not 1,920.
const compact = new Intl.NumberFormat('en', { maximumSignificantDigits: 4, useGrouping: 'min2' });
const whole = new Intl.NumberFormat('en', { maximumFractionDigits: 0, useGrouping: 'min2' });
const rate = new Intl.NumberFormat('en', { maximumSignificantDigits: 2 });

/**
 * A number with at most 4 significant digits, but never fewer than its integer part (378,245.81
 * is 378,246, not 378,200); `—` for null and non-finite values.
 */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (value !== 0 && Math.abs(value) < 1e-3) return value.toExponential(2);
  return Math.abs(value) >= 10_000 ? whole.format(value) : compact.format(value);
}

/** A chart axis tick: two significant digits are enough to read a scale. */
export function formatTick(value: number): string {
  return rate.format(value);
}

/** A share in [0, 1] as a percentage. */
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${(value * 100).toFixed(value === 0 || value === 1 ? 0 : 1)}%`;
}

/** Bytes in B, kB, MB or GB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** An ISO time as a local date and time. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString('en-GB', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** An ISO time as a clock time, for chart axes. */
export function formatClock(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
}

/** How long ago an ISO time was: `just now`, `5 min ago`, `3 h ago`, `2 d ago`. */
export function formatAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const seconds = (now - new Date(iso).getTime()) / 1000;
  if (!Number.isFinite(seconds)) return iso;
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} d ago`;
}

/** `sha256:abcdef…` → `abcdef123456`, enough to tell versions apart. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/** Requests per second as people read them: per second when busy, per minute when quiet. */
export function formatRate(perSecond: number | null | undefined): string {
  if (perSecond === null || perSecond === undefined || !Number.isFinite(perSecond)) return '—';
  if (perSecond === 0) return '0/s';
  if (perSecond >= 1) return `${rate.format(perSecond)}/s`;
  return `${rate.format(perSecond * 60)}/min`;
}

/** A metric's name for people: `rocAuc` → `ROC AUC`. */
export function metricLabel(name: string): string {
  const known: Record<string, string> = {
    accuracy: 'Accuracy',
    macroF1: 'Macro F1',
    f1: 'F1',
    rocAuc: 'ROC AUC',
    logLoss: 'Log loss',
    rmse: 'RMSE',
    mae: 'MAE',
    r2: 'R²',
    rows: 'Rows',
  };
  return known[name] ?? name.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());
}
