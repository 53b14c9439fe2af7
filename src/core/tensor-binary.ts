/**
 * The raw binary form of tensor data used by the Open Inference Protocol's binary tensor data
 * extension (REST) and by gRPC's raw contents: fixed-size elements little-endian, row-major;
 * BYTES as a 4-byte little-endian length followed by the bytes, per element.
 */
import { type Datatype, type TensorData, datatypeInfo } from './datatypes.js';
import { Errors } from './errors.js';
import { formatShape } from './tensor.js';

const utf8 = new TextDecoder('utf-8');

/**
 * Decodes `bytes` as `count` elements of `datatype`. The result owns a fresh, aligned buffer (it
 * may be transferred to a worker without touching the request's memory).
 */
export function tensorDataFromBinary(
  datatype: Datatype,
  bytes: Uint8Array,
  count: number,
  input: string,
  shape: readonly number[],
): TensorData {
  const info = datatypeInfo(datatype);
  if (info.kind === 'bytes') return decodeBytesElements(bytes, count, input, shape);
  const expectedBytes = count * info.byteSize;
  if (bytes.byteLength !== expectedBytes) {
    throw Errors.INPUT_DATA_LENGTH.create(input, formatShape(shape), `${expectedBytes} bytes of ${datatype}`, `${bytes.byteLength} bytes`);
  }
  // A copy into a fresh buffer: aligned for the typed view, and never Buffer#slice (which shares).
  const copy = new Uint8Array(bytes);
  if (info.kind === 'bool') {
    for (let i = 0; i < copy.length; i++) {
      if (copy[i]! > 1) throw Errors.INPUT_VALUE.create(input, i, `byte ${copy[i]} is not a BOOL (0 or 1)`);
    }
  }
  return info.view(copy.buffer, 0, count);
}

function decodeBytesElements(bytes: Uint8Array, count: number, input: string, shape: readonly number[]): string[] {
  // Each element needs at least its 4-byte length, so a count the bytes cannot hold is refused
  // before the array is allocated.
  if (count * 4 > bytes.byteLength) {
    throw Errors.INPUT_DATA_LENGTH.create(input, formatShape(shape), `${count} BYTES elements`, `only ${bytes.byteLength} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<string>(count);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (offset + 4 > bytes.byteLength) {
      throw Errors.INPUT_DATA_LENGTH.create(input, formatShape(shape), `${count} BYTES elements`, `${i}`);
    }
    const length = view.getUint32(offset, true);
    offset += 4;
    if (offset + length > bytes.byteLength) {
      throw Errors.INPUT_VALUE.create(input, i, `its length prefix says ${length} bytes but only ${bytes.byteLength - offset} remain`);
    }
    out[i] = utf8.decode(bytes.subarray(offset, offset + length));
    offset += length;
  }
  if (offset !== bytes.byteLength) {
    throw Errors.INPUT_DATA_LENGTH.create(input, formatShape(shape), `${count} BYTES elements`, `${bytes.byteLength - offset} bytes left over after them`);
  }
  return out;
}

/** Encodes tensor data in the binary form. Fixed-size data is viewed, not copied. */
export function tensorDataToBinary(datatype: Datatype, data: TensorData): Uint8Array {
  if (datatypeInfo(datatype).kind === 'bytes') {
    const encoded = (data as string[]).map((s) => Buffer.from(s, 'utf8'));
    const total = encoded.reduce((sum, b) => sum + 4 + b.byteLength, 0);
    const out = Buffer.allocUnsafe(total);
    let offset = 0;
    for (const b of encoded) {
      out.writeUInt32LE(b.byteLength, offset);
      offset += 4;
      out.set(b, offset);
      offset += b.byteLength;
    }
    return out;
  }
  const typed = data as Exclude<TensorData, string[]>;
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}
