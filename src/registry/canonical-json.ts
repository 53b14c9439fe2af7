/**
 * Canonical JSON: one byte string per JSON value, so that equal values hash equally. Object keys
 * are sorted (by UTF-16 code units, as RFC 8785 does), there is no white space, and strings and
 * numbers are written as JSON.stringify writes them. Keys whose value is undefined are left out.
 */

/** The canonical JSON text of `value`. Throws on values JSON cannot hold (NaN, functions, cycles). */
export function canonicalJson(value: unknown): string {
  return write(value, new Set());
}

function write(value: unknown, seen: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot hold ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (seen.has(value)) throw new TypeError('canonical JSON cannot hold a cycle');
      seen.add(value);
      let text: string;
      if (Array.isArray(value)) {
        text = `[${value.map((item) => (item === undefined ? 'null' : write(item, seen))).join(',')}]`;
      } else {
        const entries = Object.entries(value as Record<string, unknown>)
          .filter(([, v]) => v !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        text = `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${write(v, seen)}`).join(',')}}`;
      }
      seen.delete(value);
      return text;
    }
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
}
