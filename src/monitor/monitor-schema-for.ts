/**
 * The monitor's view of a model with a feature schema: which features and which named outputs it
 * sketches, and how. Reference profiles and live windows both take their specs from here, so a
 * profile and a window of the same model always line up.
 */
import type { FeatureSchema } from '../core/feature-schema.js';
import type { PipelineOutput } from '../core/pipeline-spec.js';
import type { FeatureSpec, MonitorSchema, SkippedColumn } from './feature-spec.js';

/**
 * Features and outputs to sketch for a schema and (when the model has a pipeline) its output.
 * Numbers, integers and booleans are measured (with the schema's range, so values outside it are
 * counted); categories and free text are counted. Outputs are named as batch scoring names its
 * columns: `label` and `probability_<label>` per class for a classifier, `value` for a regressor.
 *
 * @example
 *   monitorSchemaFor(bundle.manifest.schema, bundle.manifest.pipeline?.output);
 *   // { features: [{ name: 'age', kind: 'numeric', min: 18, max: 90 }, ...],
 *   //   outputs: [{ name: 'label', kind: 'categorical' }, { name: 'probability_no', kind: 'numeric' }, ...] }
 */
export function monitorSchemaFor(schema: FeatureSchema, output?: PipelineOutput): MonitorSchema {
  const skipped: SkippedColumn[] = [];
  const features = schema.features.flatMap((feature): FeatureSpec[] => {
    // Dates move forward by nature: against the training dates every live window would drift.
    if (feature.type === 'datetime') {
      skipped.push({ name: feature.name, reason: 'a date: its values move on with time, so it is not compared' });
      return [];
    }
    return [featureSpec(feature)];
  });
  return { features, outputs: output ? outputSpecs(output) : [], ...(skipped.length ? { skipped } : {}) };
}

function featureSpec(feature: Exclude<FeatureSchema['features'][number], { type: 'datetime' }>): FeatureSpec {
  if (feature.type === 'category' || feature.type === 'string') return { name: feature.name, kind: 'categorical' };
  if (feature.type === 'boolean') return { name: feature.name, kind: 'numeric' };
  return {
    name: feature.name,
    kind: 'numeric',
    ...(feature.min !== undefined ? { min: feature.min } : {}),
    ...(feature.max !== undefined ? { max: feature.max } : {}),
  };
}

function outputSpecs(output: PipelineOutput): FeatureSpec[] {
  if (output.task === 'regression') return [{ name: 'value', kind: 'numeric' }];
  return [
    { name: 'label', kind: 'categorical' },
    ...output.labels.map((label): FeatureSpec => ({ name: `probability_${label}`, kind: 'numeric' })),
  ];
}
