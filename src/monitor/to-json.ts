/**
 * JSON text of any value, as the payload log stores it (dictionary and JSON columns, samples,
 * feedback's copy of the outputs).
 *
 * Not the form the inference answers write: a 64-bit integer (bigint) is stored as a decimal
 * string (`5n` as `"5"`), where the OIP and V1 JSON answers write a JSON number with every digit,
 * because the log's readers parse its text with JSON.parse, which would round a number beyond
 * 2^53; readers therefore get INT64 values back as strings, and logs already written hold them so.
 * A non-finite float inside such a value is written as null (JSON.stringify's rule); a float
 * column's values are stored as binary floats and keep NaN and ±Infinity, which the payload
 * export writes as the answers do ("NaN", "Infinity", "-Infinity").
 */
export function toJson(value: unknown): string {
  try {
    // Without a replacer first: a replacer is called for every value and costs several times more.
    return JSON.stringify(value) ?? 'null';
  } catch {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'null';
  }
}
