import type { ModelListEntry } from '../api/api-types.js';
import { AliasChips } from '../components/alias-chips.js';
import { StatusBadge } from '../components/status-badge.js';
import { driftStatus } from '../lib/drift-status.js';
import { formatAgo, formatRate } from '../lib/format.js';
import { href } from '../router/use-hash-route.js';

/** One model of the models list, with its recent request rate and drift from the list's summary. */
export function ModelRow({ model }: { readonly model: ModelListEntry }) {
  const summary = model.summary;
  const status = summary?.drift ? driftStatus(summary.drift) : undefined;
  return (
    <tr>
      <th scope="row" data-label="Model">
        <a className="model-link" href={href('models', model.name)}>
          {model.name}
        </a>
        <div className="muted small">created {formatAgo(model.created)}</div>
      </th>
      <td data-label="Aliases" className="wide">
        <AliasChips model={model.name} aliases={model.aliases} />
      </td>
      <td data-label="Latest" className="num">
        {model.latestVersion === null ? '—' : `v${model.latestVersion}`}
        <div className="muted small">
          {model.versions} version{model.versions === 1 ? '' : 's'}
        </div>
      </td>
      <td data-label="Requests (5 min)" className="num">
        {summary ? formatRate(summary.traffic.requestsPerSecond) : <span className="muted">—</span>}
      </td>
      <td data-label="Drift (24 h)">
        {status ? <StatusBadge {...status} /> : <span className="muted" title={summary?.driftUnavailable ?? 'Monitoring is off.'}>—</span>}
      </td>
      <td data-label="Open" className="actions">
        <a href={href('monitoring', model.name)}>Monitoring</a>
        <a href={href('playground', model.name)}>Playground</a>
      </td>
    </tr>
  );
}
