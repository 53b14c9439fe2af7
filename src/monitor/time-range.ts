/**
 * Time ranges of reports, as the API and the CLI take them: `from` and `to` as ISO 8601 times or
 * as durations ago (`1h`, `30m`, `7d`), and a `step` that cuts the range into points. Ranges start
 * on a window boundary so that no window is split between two points.
 */
import { MAX_DURATION_MS, exceedsMaxDuration, formatDuration, parseDuration } from '../core/duration.js';
import { Errors } from '../core/errors.js';

/** A time range, epoch ms: [from, to). */
export interface TimeRange {
  readonly from: number;
  readonly to: number;
}

/** Default span of a report: the last 24 hours. */
export const DEFAULT_SPAN_MS = 86_400_000;
/** Most points a history answers. */
export const MAX_POINTS = 2000;
/** Points a history has when no step is given (about). */
const DEFAULT_POINTS = 24;

/**
 * Reads `from` and `to` (raw query values; undefined for the defaults: the last `defaultSpanMs`
 * up to now). The range covers whole windows: `from` moves back to the start of its window, `to`
 * forward to the end of the window it falls in (a default `to` includes the window of now).
 * Throws BERTH_MONITOR_RANGE_INVALID.
 */
export function parseTimeRange(query: { readonly from?: unknown; readonly to?: unknown }, now: number, windowMs: number, defaultSpanMs = DEFAULT_SPAN_MS): TimeRange {
  const toGiven = !(query.to === undefined || query.to === '');
  const rawTo = toGiven ? parseInstant('to', query.to, now) : now;
  const to = toGiven ? Math.ceil(rawTo / windowMs) * windowMs : Math.floor(now / windowMs) * windowMs + windowMs;
  const rawFrom = query.from === undefined || query.from === '' ? rawTo - defaultSpanMs : parseInstant('from', query.from, now);
  if (!(rawFrom < rawTo)) throw Errors.MONITOR_RANGE_INVALID.create('from', String(query.from ?? new Date(rawFrom).toISOString()), `it is not before to (${new Date(rawTo).toISOString()})`);
  return { from: Math.floor(rawFrom / windowMs) * windowMs, to };
}

/** An instant: an ISO 8601 time, or a duration ago such as `1h`. */
export function parseInstant(parameter: string, value: unknown, now: number): number {
  const text = typeof value === 'string' ? value.trim() : String(value);
  // A duration needs its unit here: a bare number could as well be an epoch time.
  if (/^\d+(\.\d+)?\s*(ms|s|m|h|d|w)$/.test(text)) {
    const ago = parseDuration(text);
    if (ago !== undefined) return now - ago;
    if (exceedsMaxDuration(text)) throw tooLong(parameter, text);
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms)) return ms;
  }
  throw Errors.MONITOR_RANGE_INVALID.create(parameter, text, 'it is neither an ISO 8601 time nor a duration ago such as 1h');
}

/** A duration past MAX_DURATION_MS, said as such rather than as no duration at all. */
function tooLong(parameter: string, text: string) {
  return Errors.MONITOR_RANGE_INVALID.create(parameter, text, `it is longer than the most a duration may be, ${formatDuration(MAX_DURATION_MS)}`);
}

/**
 * The step of a history: `step` when given (at least one window), else about 24 points rounded up
 * to whole windows. Throws BERTH_MONITOR_RANGE_INVALID when the range would have more than
 * MAX_POINTS points.
 */
export function parseStep(step: unknown, range: TimeRange, windowMs: number): number {
  let ms: number;
  if (step === undefined || step === '') {
    ms = Math.max(windowMs, Math.ceil((range.to - range.from) / DEFAULT_POINTS / windowMs) * windowMs);
  } else {
    const parsed = parseDuration(String(step));
    if (parsed === undefined && exceedsMaxDuration(String(step))) throw tooLong('step', String(step));
    if (parsed === undefined) throw Errors.MONITOR_RANGE_INVALID.create('step', String(step), 'it is not a duration');
    if (parsed < windowMs) throw Errors.MONITOR_RANGE_INVALID.create('step', String(step), `it is shorter than one window (${windowMs} ms)`);
    ms = parsed;
  }
  const points = Math.ceil((range.to - range.from) / ms);
  if (points > MAX_POINTS) throw Errors.MONITOR_RANGE_INVALID.create('step', String(step ?? ms), `the range would have ${points} points; at most ${MAX_POINTS} are answered`);
  return ms;
}

/** The range cut into steps: [from + i step, from + (i + 1) step), the last one ending at `to`. */
export function steps(range: TimeRange, step: number): TimeRange[] {
  const out: TimeRange[] = [];
  for (let from = range.from; from < range.to; from += step) out.push({ from, to: Math.min(range.to, from + step) });
  return out;
}
