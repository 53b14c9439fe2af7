/** The run-cost model: a fixed part plus a part per element, fitted from two sizes. */
import { describe, expect, it } from 'vitest';
import type { Signature } from '../../src/core/signature.js';
import { measureRunCost, predictRunUs, zeroInputs } from '../../src/runtime/run-cost.js';

const batching: Signature = {
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 64] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 10] }],
};
const fixed: Signature = {
  inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 8] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 8] }],
};

describe('run cost', () => {
  it('separates the per-run overhead from the per-element cost on a batching model', async () => {
    // A runner whose time is exactly 20 µs + 0.01 µs per element (the measurement takes the minimum).
    const cost = await measureRunCost(batching, 32, async (inputs) => 20 + 0.01 * inputs[0]!.data.length);
    expect(cost!.fixedUs).toBeCloseTo(20, 9);
    expect(cost!.perElementUs).toBeCloseTo(0.01, 9);
    expect(cost!.singleRowUs).toBeCloseTo(20.64, 9);
    // 32 rows cost 40.48 µs, not 32 × 20.64.
    expect(predictRunUs(cost!, 32 * 64)).toBeCloseTo(40.48, 9);
  });

  it('scales a single measurement by size for models without a batch dimension', async () => {
    const cost = await measureRunCost(fixed, 32, async () => 16);
    expect(cost).toEqual({ fixedUs: 0, perElementUs: 2, singleRowUs: 16, rowElements: 8 });
  });

  it('gives up on models that cannot run on zeros', async () => {
    expect(
      await measureRunCost(batching, 32, async () => {
        throw new Error('invalid expand shape');
      }),
    ).toBeUndefined();
  });

  it('makes zero inputs with the first dynamic dimension as rows', () => {
    const [x] = zeroInputs({ inputs: [{ name: 'x', datatype: 'INT64', shape: [-1, 3, -1] }], outputs: [] }, 5)!;
    expect(x!.shape).toEqual([5, 3, 1]);
    expect(x!.data).toBeInstanceOf(BigInt64Array);
    expect(zeroInputs({ inputs: [{ name: 'x', datatype: 'FP32', shape: undefined }], outputs: [] }, 1)).toBeUndefined();
  });
});
