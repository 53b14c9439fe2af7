import type { FeatureSchema, FeatureSpec } from '../api/api-types.js';
import { formatNumber } from '../lib/format.js';

function allowed(feature: FeatureSpec): string {
  if (feature.type === 'category') return (feature.categories ?? []).join(', ');
  if (feature.type === 'number' || feature.type === 'integer') {
    if (feature.min === undefined && feature.max === undefined) return 'any';
    return `${formatNumber(feature.min ?? -Infinity).replace('—', '−∞')} … ${formatNumber(feature.max ?? Infinity).replace('—', '∞')}`;
  }
  if (feature.type === 'boolean') return 'true, false';
  if (feature.type === 'datetime') {
    const range = feature.min !== undefined && feature.max !== undefined ? `${feature.min} … ${feature.max}; ` : '';
    return `${range}ISO date; the model uses ${(feature.parts ?? []).join(', ')}`;
  }
  return 'maxLength' in feature && feature.maxLength ? `up to ${feature.maxLength} characters` : 'text';
}

/** The named features a caller sends: type, required, and allowed values. */
export function SchemaTable({ schema }: { readonly schema: FeatureSchema }) {
  return (
    <div className="table-scroll">
      <table className="table table-cards">
        <caption className="visually-hidden">Schema: the features a caller sends</caption>
        <thead>
          <tr>
            <th scope="col">Feature</th>
            <th scope="col">Type</th>
            <th scope="col">Required</th>
            <th scope="col">Allowed</th>
          </tr>
        </thead>
        <tbody>
          {schema.features.map((f) => (
            <tr key={f.name}>
              <th scope="row">
                <code>{f.name}</code>
                {f.description ? <div className="muted small">{f.description}</div> : null}
              </th>
              <td data-label="Type">{f.type}</td>
              <td data-label="Required">{f.required ? 'yes' : 'no (imputed)'}</td>
              <td data-label="Allowed" className="wrap wide">
                {allowed(f)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
