/** JSON text of any value, as the logs store it. */

/** JSON text of any value: 64-bit integers (bigint) as decimal strings, as the inference APIs write them. */
export function toJson(value: unknown): string {
  try {
    // Without a replacer first: a replacer is called for every value and costs several times more.
    return JSON.stringify(value) ?? 'null';
  } catch {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'null';
  }
}
