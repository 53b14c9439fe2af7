import type { OipInferResponse } from '../api/api-types.js';
import { formatNumber } from '../lib/format.js';

/** Most values of an output tensor listed before "…". */
const MAX_VALUES = 64;

/** The output tensors of an OIP inference. */
export function InferResult({ response }: { readonly response: OipInferResponse }) {
  return (
    <div className="result" aria-live="polite">
      <div className="table-scroll">
        <table className="table">
          <caption className="visually-hidden">Output tensors</caption>
          <thead>
            <tr>
              <th scope="col">Output</th>
              <th scope="col">Datatype</th>
              <th scope="col">Shape</th>
              <th scope="col">Data</th>
            </tr>
          </thead>
          <tbody>
            {response.outputs.map((o) => (
              <tr key={o.name}>
                <th scope="row">
                  <code>{o.name}</code>
                </th>
                <td>{o.datatype}</td>
                <td>
                  <code>[{o.shape.join(', ')}]</code>
                </td>
                <td className="wrap" data-testid="prediction">
                  {o.data
                    .slice(0, MAX_VALUES)
                    .map((v) => (typeof v === 'number' ? formatNumber(v) : String(v)))
                    .join(', ')}
                  {o.data.length > MAX_VALUES ? `, … (${o.data.length} values)` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted small">
        {response.model_name}
        {response.model_version ? ` v${response.model_version}` : ''}
      </p>
    </div>
  );
}
