/** What the data plane hands the monitor: events from named-feature predictions, tensor requests and failures. */
import { describe, expect, it } from 'vitest';
import type { FeatureSchema } from '../../src/core/feature-schema.js';
import type { Tensor } from '../../src/core/tensor.js';
import { eventFromFailure, eventFromRecords, eventFromTensors, MAX_TENSOR_COLUMNS, tensorColumns, tensorRows } from '../../src/monitor/build-prediction-event.js';

describe('building prediction events', () => {
  it('turns named-feature predictions into feature columns and label/probability (or value) columns', () => {
    const schema = { format: 'berth.schema/v1', features: [{ name: 'age' }, { name: 'region' }] } as unknown as FeatureSchema;
    const facts = { model: 'loans', version: '3', requestId: 'req-1', at: 1000, protocol: 'predict' as const, latencyMs: 4.5 };
    const values = [
      [41, 'north'],
      [null, 'south'],
    ];
    const predictions = [
      { label: 'yes', probabilities: { no: 0.2, yes: 0.8 } },
      { label: 'no', probabilities: { no: 0.9, yes: 0.1 } },
    ];
    expect(eventFromRecords(facts, schema, values, predictions)).toEqual({
      model: 'loans',
      version: '3',
      requestId: 'req-1',
      at: 1000,
      protocol: 'predict',
      rows: 2,
      latencyMs: 4.5,
      outcome: 'success',
      features: { age: [41, null], region: ['north', 'south'] },
      outputs: { label: ['yes', 'no'], probability_no: [0.2, 0.9], probability_yes: [0.8, 0.1] },
    });
    const regression = eventFromRecords(facts, schema, values, [{ value: 1.5 }, { value: 2 }]);
    expect(regression.outputs).toEqual({ value: [1.5, 2] });
  });

  it('records a failed request of any kind with no rows and no columns', () => {
    const facts = { model: 'loans', version: '3', requestId: 'req-2', at: 7, protocol: 'predict' as const, latencyMs: 1 };
    expect(eventFromFailure(facts, 'client_error')).toEqual({ ...facts, rows: 0, outcome: 'client_error' });
    expect(eventFromFailure({ ...facts, protocol: 'v2-grpc' }, 'server_error')).toMatchObject({ rows: 0, outcome: 'server_error', protocol: 'v2-grpc' });
  });

  it('turns tensors into columns: x[j] for 2-D, the name for 1-D, capped; images are left out', () => {
    const tensor = (name: string, shape: number[], data: Tensor['data'], datatype: Tensor['datatype'] = 'FP32'): Tensor => ({ name, datatype, shape, data });
    const wide = new Float32Array(2 * (MAX_TENSOR_COLUMNS + 6)).map((_, i) => i);
    const inputs = [
      tensor('x', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6])),
      tensor('ids', [2], BigInt64Array.from([7n, 8n]), 'INT64'),
      tensor('wide', [2, MAX_TENSOR_COLUMNS + 6], wide),
      tensor('image', [2, 1, 2, 2], new Float32Array(8)),
      tensor('half', [2, 1], Uint16Array.from([0x3c00, 0x4000]), 'FP16'),
    ];
    const rows = tensorRows(inputs);
    const facts = { model: 'm', version: '1', requestId: 'r', at: 5, protocol: 'v2-rest' as const, latencyMs: 2 };
    const event = eventFromTensors(facts, rows, tensorColumns(inputs, rows), [tensor('probabilities', [2, 2], Float32Array.from([0.25, 0.75, 0.5, 0.5]))]);
    expect(event).toMatchObject({ ...facts, outcome: 'success' });
    expect(event.rows).toBe(2);
    expect(event.features!['x[0]']).toEqual([1, 4]);
    expect(event.features!['x[2]']).toEqual([3, 6]);
    expect(event.features!.ids).toEqual([7n, 8n]);
    expect(event.features!['half[0]']).toEqual([1, 2]);
    expect(Object.keys(event.features!).filter((k) => k.startsWith('wide['))).toHaveLength(MAX_TENSOR_COLUMNS);
    expect(Object.keys(event.features!).some((k) => k.startsWith('image'))).toBe(false);
    expect(event.outputs).toEqual({ 'probabilities[0]': [0.25, 0.5], 'probabilities[1]': [0.75, 0.5] });
    expect(eventFromTensors(facts, 2, undefined, []).features).toBeUndefined();
  });
});
