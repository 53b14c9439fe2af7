/**
 * Dates and date-times as features: which strings are one, the instant they name, and the numbers
 * a model learns from them (year, month, day of week, hour, days since the epoch). The trainer,
 * the validator and the pipeline all call these, so a date means the same offline and online.
 */

/** The numbers derived from a date-time, each one column of the model's input. */
export const DATETIME_PARTS = ['year', 'month', 'dayOfWeek', 'hour', 'daysSinceEpoch'] as const;

/** One number derived from a date-time. */
export type DatetimePart = (typeof DATETIME_PARTS)[number];

// ISO 8601 calendar dates, `-` or `/` between year, month and day, optionally a time (after `T` or
// a space) and a zone. Date.parse alone is too lenient ("1", "March 7" parse) and reads a
// zone-less time in the server's local zone; this gate keeps both from happening.
const ISO = /^(\d{4})[-/](\d{2})[-/](\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** A parsed date-time: its instant (epoch ms, UTC) and whether the text carried a time of day. */
export interface ParsedDatetime {
  readonly ms: number;
  readonly hasTime: boolean;
}

/**
 * Reads an ISO 8601 date (`2024-03-07`, `2024/03/07`) or date-time (`2024-03-07T14:05:00`,
 * `2024-03-07 14:05`, with `Z` or `+02:00`); undefined when `text` is not one or names no real day
 * (`2024-02-30`). A time without a zone is read as UTC, so parts never depend on the machine.
 */
export function parseDatetime(text: string): ParsedDatetime | undefined {
  const m = ISO.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, frac === undefined ? 0 : Math.round(Number(frac) * 1000));
  // Date.UTC rolls 2024-02-30 over to March; a real day reads back as itself.
  if (new Date(local).getUTCDate() !== day) return undefined;
  let offset = 0;
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    offset = (digits.startsWith('-') ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5))) * 60_000;
  }
  return { ms: local - offset, hasTime: h !== undefined };
}

const DAY_MS = 86_400_000;

/**
 * One derived number of an instant (epoch ms), in UTC: the calendar year, the month 1–12, the day
 * of the week 0–6 from Monday (as pandas counts), the hour 0–23, and the days since 1970-01-01
 * (fractional: it carries the time of day).
 */
export function datetimePart(ms: number, part: DatetimePart): number {
  const date = new Date(ms);
  switch (part) {
    case 'year':
      return date.getUTCFullYear();
    case 'month':
      return date.getUTCMonth() + 1;
    case 'dayOfWeek':
      return (date.getUTCDay() + 6) % 7;
    case 'hour':
      return date.getUTCHours();
    case 'daysSinceEpoch':
      return ms / DAY_MS;
  }
}

/** An instant as ISO text: the date alone when it is midnight UTC. */
export function formatDatetime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return ms % DAY_MS === 0 ? iso.slice(0, 10) : iso;
}
