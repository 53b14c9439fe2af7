/**
 * IEEE 754 half precision, for FP16 tensors in the binary format. Written here because the client
 * depends on nothing and Float16Array is not yet in every runtime it supports (Node 20).
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The 16-bit pattern of `value` rounded to the nearest half (ties to even), as onnxruntime rounds. */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  // Rebias from 127 to 15.
  let e = exponent - 112;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half, or zero: shift the implicit bit in and round.
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let bits = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    if (rest > half || (rest === half && (bits & 1) === 1)) bits++;
    return sign | bits;
  }
  let bits = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (bits & 1) === 1)) bits++;
  // A carry out of the mantissa moves into the exponent, which is right, up to infinity.
  e = bits >>> 10;
  return sign | (e >= 0x1f ? 0x7c00 : bits);
}

/** The number a 16-bit half pattern stands for (exact: every half is a double). */
export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
