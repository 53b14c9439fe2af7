/** Starting values of the Playground form: a typical row of the training data. */
import type { FeatureSchema, FeatureSpec, Profile } from '../api/api-types.js';

/** A form value: what an input element holds. */
export type FormValue = string | boolean;

/**
 * The median of numbers and the most frequent category in the reference profile, so the first
 * prediction is of a realistic row; schema bounds or blanks where there is no profile.
 */
export function exampleRow(schema: FeatureSchema, profile: Profile | undefined): Record<string, FormValue> {
  const profiles = new Map((profile?.features ?? []).map((f) => [f.name, f]));
  return Object.fromEntries(schema.features.map((feature) => [feature.name, exampleValue(feature, profiles.get(feature.name))]));
}

function exampleValue(feature: FeatureSpec, profile: Profile['features'][number] | undefined): FormValue {
  switch (feature.type) {
    case 'boolean':
      return false;
    case 'category': {
      const top = profile?.kind === 'categorical' ? profile.frequencies?.[0]?.[0] : undefined;
      return top ?? feature.categories?.[0] ?? '';
    }
    case 'number':
    case 'integer': {
      const median = profile?.kind === 'numeric' ? (profile.quantiles?.find((q) => q.q === 0.5)?.value ?? profile.mean) : undefined;
      const value = median ?? feature.min ?? (feature.required ? 0 : undefined);
      if (value === undefined || value === null) return '';
      return feature.type === 'integer' ? String(Math.round(value)) : String(Number(value.toPrecision(4)));
    }
    default:
      return '';
  }
}

/**
 * The record to send: numbers parsed, blanks left out (the server imputes optional features and
 * names missing required ones), booleans as booleans.
 */
export function recordOf(schema: FeatureSchema, values: Readonly<Record<string, FormValue>>): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const feature of schema.features) {
    const value = values[feature.name];
    if (value === undefined || value === '') continue;
    if (feature.type === 'boolean') record[feature.name] = value === true || value === 'true';
    else if ((feature.type === 'number' || feature.type === 'integer') && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
      record[feature.name] = Number(value);
    else record[feature.name] = value;
  }
  return record;
}
