import { describe, expect, it } from 'vitest';
import type { FeatureSchema } from '../../src/core/feature-schema.js';
import { type PipelineSpec, parsePipelineSpec, pipelineColumnNames, pipelineWidth } from '../../src/core/pipeline-spec.js';

const schema: FeatureSchema = {
  format: 'berth.schema/v1',
  features: [
    { name: 'age', type: 'integer', required: true, outOfRange: 'accept' },
    { name: 'region', type: 'category', required: false, categories: ['north', 'south', 'east'], outOfRange: 'accept' },
    { name: 'grade', type: 'category', required: false, categories: ['a', 'b'], outOfRange: 'accept' },
  ],
};

const spec: PipelineSpec = {
  format: 'berth.pipeline/v1',
  input: 'features',
  steps: [
    { feature: 'age', encoding: 'numeric', impute: 40, scale: { mean: 41, std: 12 } },
    { feature: 'region', encoding: 'one-hot', categories: ['north', 'south', 'east'], impute: null, unseen: 'ignore' },
    { feature: 'grade', encoding: 'ordinal', categories: ['a', 'b'], impute: 'a', unseen: 'encode', unseenValue: -1 },
  ],
  output: { task: 'classification', target: 'defaulted', tensor: 'probabilities', labels: ['0', '1'] },
};

describe('pipeline spec', () => {
  it('survives a JSON round trip and fits its schema', () => {
    expect(parsePipelineSpec(JSON.parse(JSON.stringify(spec)), schema)).toEqual(spec);
  });

  it('counts one column per numeric or ordinal step and one per category for one-hot', () => {
    expect(pipelineWidth(spec)).toBe(5);
    expect(pipelineColumnNames(spec)).toEqual(['age', 'region=north', 'region=south', 'region=east', 'grade']);
  });

  it.each([
    ['a feature the schema lacks', { ...spec, steps: [{ feature: 'zip', encoding: 'numeric', impute: 0 }] }, "'zip'"],
    ['a one-hot step on a number', { ...spec, steps: [{ feature: 'age', encoding: 'one-hot', categories: ['1'], impute: null, unseen: 'ignore' }] }, 'type integer'],
    ['a numeric step on a category', { ...spec, steps: [{ feature: 'region', encoding: 'numeric', impute: 0 }] }, 'type category'],
    ['a feature encoded twice', { ...spec, steps: [spec.steps[0], spec.steps[0]] }, 'twice'],
    ['an imputed value outside the categories', { ...spec, steps: [{ ...spec.steps[2], impute: 'z' }] }, "'z'"],
    ['a zero scale', { ...spec, steps: [{ feature: 'age', encoding: 'numeric', impute: 0, scale: { mean: 0, std: 0 } }] }, 'positive'],
    ['one class label', { ...spec, output: { task: 'classification', target: 't', tensor: 'p', labels: ['x'] } }, 'output.labels'],
  ])('refuses %s with BERTH_PIPELINE_INVALID', (_what, value, fragment) => {
    let error: unknown;
    try {
      parsePipelineSpec(value, schema);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'BERTH_PIPELINE_INVALID' });
    expect((error as Error).message).toContain(fragment);
  });
});
