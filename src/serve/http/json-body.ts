/** Parsing JSON request bodies so that 64-bit integers keep every digit. */
import { parse as parseLossless } from 'lossless-json';
import { Errors } from '../../core/errors.js';

// A run of 16 or more digits is the only way JSON can spell an integer beyond 2^53; bodies
// without one take the fast native parser.
const LONG_DIGITS = /\d{16,}/;

// No 64-bit integer has more digits; longer runs stay (inexact) numbers, since BigInt's parse
// time grows with the square of the length and a few megabytes of digits would stall the loop.
const MAX_INT64_DIGITS = 20;

function parseNumber(text: string): number | bigint {
  const n = Number(text);
  if (Number.isSafeInteger(n) || !/^-?\d+$/.test(text) || text.length > MAX_INT64_DIGITS + 1) return n;
  return BigInt(text);
}

/**
 * Parses a JSON body. Integers outside ±2^53 become bigint (exact); everything else is as
 * JSON.parse gives it. Throws BERTH_REQUEST_INVALID_JSON with the parser's reason.
 */
export function parseJsonBody(text: string): unknown {
  try {
    return LONG_DIGITS.test(text) ? parseLossless(text, null, parseNumber) : JSON.parse(text);
  } catch (error) {
    throw Errors.REQUEST_INVALID_JSON.create(error instanceof Error ? error.message : String(error));
  }
}
