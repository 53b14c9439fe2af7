import { describe, expect, it } from 'vitest';
import type { BerthError } from '../../src/core/errors.js';
import { tensorDataFromBinary, tensorDataToBinary } from '../../src/core/tensor-binary.js';
import { elementCount, tensorDataFromJson, tensorDataToJsonText, tensorDataToValues } from '../../src/core/tensor.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as BerthError).code;
  }
  return undefined;
}

describe('tensor JSON conversion', () => {
  it('flattens nested data row-major', () => {
    expect(Array.from(tensorDataFromJson('INT32', [[[1, 2], [3, 4]], [[5, 6], [7, 8]]], [2, 2, 2], 'x') as Int32Array)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('stops walking data as soon as it exceeds the shape', () => {
    // A million-element array against a shape of 2: refused without converting the rest.
    expect(codeOf(() => tensorDataFromJson('FP32', new Array(1_000_000).fill(1), [2], 'x'))).toBe('BERTH_INPUT_DATA_LENGTH');
  });

  it('counts elements with huge shapes without allocating', () => {
    expect(elementCount([1_000_000_000, 64], 'x')).toBe(64_000_000_000);
    expect(codeOf(() => elementCount([2, 1.5], 'x'))).toBe('BERTH_REQUEST_INVALID');
    expect(codeOf(() => elementCount([2, '3'], 'x'))).toBe('BERTH_REQUEST_INVALID');
  });

  it('accepts an empty tensor', () => {
    expect(tensorDataFromJson('FP32', [], [0, 3], 'x').length).toBe(0);
    expect(tensorDataToJsonText('FP32', new Float32Array(0))).toBe('[]');
  });

  it('writes 64-bit integers and non-finite floats that JSON.stringify cannot', () => {
    expect(tensorDataToJsonText('INT64', BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n]))).toBe('[-9223372036854775808,9223372036854775807]');
    expect(tensorDataToJsonText('FP64', Float64Array.from([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.1]))).toBe(
      '["NaN","Infinity","-Infinity",0.1]',
    );
  });

  it('round-trips FP16 through 16-bit patterns', () => {
    const bits = tensorDataFromJson('FP16', [1, -2, 0.5, 65504], [4], 'x') as Uint16Array;
    expect(Array.from(bits)).toEqual([0x3c00, 0xc000, 0x3800, 0x7bff]);
    expect(tensorDataToValues('FP16', bits)).toEqual([1, -2, 0.5, 65504]);
  });

  it('decodes BOOL as 0/1 bytes and writes booleans', () => {
    const data = tensorDataFromJson('BOOL', [true, false], [2], 'x');
    expect(Array.from(data as Uint8Array)).toEqual([1, 0]);
    expect(tensorDataToJsonText('BOOL', data)).toBe('[true,false]');
  });
});

describe('tensor binary conversion', () => {
  it('copies into an aligned buffer owned by the tensor', () => {
    const body = Buffer.alloc(13);
    body.writeFloatLE(1.5, 1);
    body.writeFloatLE(-2, 5);
    body.writeFloatLE(3, 9);
    const data = tensorDataFromBinary('FP32', body.subarray(1), 3, 'x', [3]) as Float32Array;
    expect(Array.from(data)).toEqual([1.5, -2, 3]);
    expect(data.byteOffset).toBe(0);
    expect(data.buffer.byteLength).toBe(12);
  });

  it('round-trips BYTES with length prefixes', () => {
    const encoded = tensorDataToBinary('BYTES', ['', 'ab', '日本']);
    expect(tensorDataFromBinary('BYTES', encoded, 3, 'x', [3])).toEqual(['', 'ab', '日本']);
  });

  it('refuses a BYTES count the bytes cannot hold before allocating', () => {
    expect(codeOf(() => tensorDataFromBinary('BYTES', new Uint8Array(8), 1_000_000_000, 'x', [1_000_000_000]))).toBe('BERTH_INPUT_DATA_LENGTH');
  });

  it('refuses a length prefix past the end and trailing bytes', () => {
    const bad = Buffer.from([10, 0, 0, 0, 65]);
    expect(codeOf(() => tensorDataFromBinary('BYTES', bad, 1, 'x', [1]))).toBe('BERTH_INPUT_VALUE');
    const trailing = Buffer.from([1, 0, 0, 0, 65, 66]);
    expect(codeOf(() => tensorDataFromBinary('BYTES', trailing, 1, 'x', [1]))).toBe('BERTH_INPUT_DATA_LENGTH');
  });

  it('refuses BOOL bytes other than 0 and 1', () => {
    expect(codeOf(() => tensorDataFromBinary('BOOL', Buffer.from([0, 2]), 2, 'x', [2]))).toBe('BERTH_INPUT_VALUE');
  });
});
