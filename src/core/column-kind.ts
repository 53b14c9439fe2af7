/**
 * What a column of text data holds, decided once for every part of Berth that reads a CSV: the
 * trainer (which features a schema gets), `berth drift` and the monitor (which columns are
 * compared, and how). An identifier, a date and free text are told apart from the features that
 * can be learned from or compared, so `customer_id` is neither a feature nor "drifted".
 */
import { parseDatetime } from './datetime-value.js';

/**
 * The kinds of column: measured (`number`, `integer`, `boolean`), counted (`category`), a date
 * (`datetime`), or left out (`identifier`, `text`, `empty`).
 */
export type ColumnKind = 'number' | 'integer' | 'boolean' | 'datetime' | 'category' | 'identifier' | 'text' | 'empty';

/** A column's kind, with what was learned deciding it. */
export interface ColumnKindInfo {
  readonly kind: ColumnKind;
  /** Values present (not missing). */
  readonly present: number;
  /** Distinct present values. */
  readonly distinct: number;
  /** For `datetime`: whether any value carries a time of day. */
  readonly hasTime?: boolean;
  /** For the kinds left out: why, in words for a report. */
  readonly reason?: string;
}

/** Options of {@link columnKind}. */
export interface ColumnKindOptions {
  readonly isMissing: (value: string) => boolean;
  /** Most distinct values a text column may have to be a category. */
  readonly maxCategories: number;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BOOLEAN_WORDS = new Set(['true', 'false']);
// `id`, `uuid`, `customer_id`, `order-key`, `customerId`, `CustomerID`, `id_customer`.
const ID_WORD = /^(id|uuid|guid|key)$|[_\- .](id|uuid|guid|key)$|^(id|uuid|guid)[_\- .]/i;
const ID_CAMEL = /[a-z0-9](Id|ID|Uuid|UUID|Key)$/;
/** Fewest rows at which "every value distinct" says identifier rather than chance. */
const ID_MIN_ROWS = 10;

/** The default `maxCategories` for a table of `rows` rows: max(20, min(100, rows / 20)). */
export function defaultMaxCategories(rows: number): number {
  return Math.max(20, Math.min(100, Math.floor(rows / 20)));
}

/** True when a column's name reads as an identifier's (`id`, `customer_id`, `customerId`). */
export function looksLikeIdName(name: string): boolean {
  const trimmed = name.trim();
  return ID_WORD.test(trimmed) || ID_CAMEL.test(trimmed);
}

/**
 * The kind of a column of raw text values. Numbers (every present value a decimal) are measured;
 * `true`/`false` columns are booleans; ISO 8601 dates are dates; other text is a category when it
 * has at most `maxCategories` distinct values, else free text. A column named like an identifier
 * whose every value is distinct is an identifier, whatever its values look like.
 *
 * @example
 *   columnKind('customer_id', ['1001', '1002', …], options).kind; // 'identifier'
 *   columnKind('signup', ['2024-03-07', …], options).kind;        // 'datetime'
 */
export function columnKind(name: string, values: readonly string[], options: ColumnKindOptions): ColumnKindInfo {
  let present = 0;
  let numeric = true;
  let integer = true;
  let boolean = true;
  let datetime = true;
  let hasTime = false;
  const distinct = new Set<string>();
  for (const raw of values) {
    if (options.isMissing(raw)) continue;
    present++;
    const t = raw.trim();
    if (numeric && !DECIMAL.test(t)) numeric = false;
    if (integer && !(numeric && Number.isInteger(Number(t)))) integer = false;
    if (boolean && !BOOLEAN_WORDS.has(t.toLowerCase())) boolean = false;
    if (datetime && !numeric) {
      const parsed = parseDatetime(t);
      if (parsed === undefined) datetime = false;
      else if (parsed.hasTime) hasTime = true;
    }
    distinct.add(numeric ? String(Number(t)) : raw);
  }
  if (present === 0) return { kind: 'empty', present, distinct: 0, reason: 'every value is missing' };
  const allDistinct = present >= ID_MIN_ROWS && distinct.size === present;
  if (allDistinct && (integer || !numeric) && looksLikeIdName(name)) {
    return { kind: 'identifier', present, distinct: distinct.size, reason: `an identifier: named like one and all ${present} values are distinct` };
  }
  if (numeric) return { kind: integer ? 'integer' : 'number', present, distinct: distinct.size };
  if (boolean) return { kind: 'boolean', present, distinct: distinct.size };
  if (datetime) return { kind: 'datetime', present, distinct: distinct.size, hasTime };
  if (distinct.size > options.maxCategories) {
    return {
      kind: 'text',
      present,
      distinct: distinct.size,
      reason: `${distinct.size} distinct text values (more than ${options.maxCategories}); free text is not encoded`,
    };
  }
  return { kind: 'category', present, distinct: distinct.size };
}
