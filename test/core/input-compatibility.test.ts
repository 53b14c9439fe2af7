import { describe, expect, it } from 'vitest';
import { describeInputs, inputMismatch } from '../../src/core/input-compatibility.js';
import type { Signature } from '../../src/core/signature.js';

const out = [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }] as const;
const sig = (inputs: Signature['inputs']): Signature => ({ inputs, outputs: out });

describe('input compatibility', () => {
  it('describes inputs by name and datatype, in name order', () => {
    expect(describeInputs(sig([{ name: 'b', datatype: 'INT64', shape: [-1] }, { name: 'a', datatype: 'FP32', shape: [-1, 4] }]))).toBe('(a: FP32, b: INT64)');
  });

  it('accepts the same inputs in another order and with other dynamic shapes', () => {
    const a = sig([{ name: 'x', datatype: 'FP32', shape: [-1, 4] }, { name: 'k', datatype: 'INT64', shape: [-1] }]);
    const b = sig([{ name: 'k', datatype: 'INT64', shape: [1] }, { name: 'x', datatype: 'FP32', shape: [1, 4] }]);
    expect(inputMismatch(a, b)).toBeNull();
  });

  it('names both sides when a datatype, a name or an input differs', () => {
    const a = sig([{ name: 'x', datatype: 'FP32', shape: [-1, 4] }]);
    expect(inputMismatch(a, sig([{ name: 'x', datatype: 'FP64', shape: [-1, 4] }]))).toEqual({ current: '(x: FP32)', candidate: '(x: FP64)' });
    expect(inputMismatch(a, sig([{ name: 'z', datatype: 'FP32', shape: [-1, 4] }]))).toEqual({ current: '(x: FP32)', candidate: '(z: FP32)' });
    expect(inputMismatch(a, sig([...a.inputs, { name: 'w', datatype: 'FP32', shape: [-1] }]))).toEqual({ current: '(x: FP32)', candidate: '(w: FP32, x: FP32)' });
  });
});
