import type { PredictResponse } from '../api/api-types.js';
import { formatNumber, formatPercent } from '../lib/format.js';

/** A named prediction: the label with a bar per class probability, or the value. */
export function PredictionResult({ response }: { readonly response: PredictResponse }) {
  const prediction: Readonly<Record<string, unknown>> | undefined = response.predictions[0];
  const probabilities = probabilitiesOf(prediction?.probabilities).sort((a, b) => b[1] - a[1]);
  const extra = Object.entries(prediction ?? {}).filter(([k]) => !['label', 'probabilities', 'value'].includes(k));
  return (
    <div className="result" aria-live="polite">
      {prediction?.label !== undefined ? (
        <p className="result-main">
          <span className="muted">Prediction</span> <output data-testid="prediction">{String(prediction.label)}</output>
        </p>
      ) : null}
      {prediction?.value !== undefined ? (
        <p className="result-main">
          <span className="muted">Prediction</span> <output data-testid="prediction">{typeof prediction.value === 'number' ? formatNumber(prediction.value) : String(prediction.value)}</output>
        </p>
      ) : null}
      {probabilities.length > 0 ? (
        <ul className="probabilities" aria-label="Probability per class">
          {probabilities.map(([label, p]) => (
            <li key={label}>
              <span className="probability-label">{label}</span>
              <span className="probability-bar" aria-hidden="true">
                <span style={{ width: `${Math.max(0, Math.min(1, p)) * 100}%` }} />
              </span>
              <span className="num">{formatPercent(p)}</span>
            </li>
          ))}
        </ul>
      ) : null}
      {extra.length > 0 ? (
        <dl className="facts">
          {extra.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{typeof v === 'number' ? formatNumber(v) : JSON.stringify(v)}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      {response.warnings?.length ? (
        <ul className="warnings" aria-label="Warnings">
          {response.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      ) : null}
      <p className="muted small">
        {response.model} v{response.version}
        {response.requestId ? (
          <>
            {' '}
            · request <code>{response.requestId}</code>
          </>
        ) : null}
      </p>
    </div>
  );
}

/** A classifier's `{class: probability}` as pairs; nothing for any other value. */
function probabilitiesOf(value: unknown): [string, number][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).filter((entry): entry is [string, number] => typeof entry[1] === 'number');
}
