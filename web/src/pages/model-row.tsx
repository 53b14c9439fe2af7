import type { ModelRecord } from '../api/api-types.js';
import { berthApi } from '../api/berth-api.js';
import { AliasChips } from '../components/alias-chips.js';
import { StatusBadge } from '../components/status-badge.js';
import { useApi } from '../hooks/use-api.js';
import { driftStatus } from '../lib/drift-status.js';
import { formatAgo, formatRate } from '../lib/format.js';
import { requestRate } from '../lib/traffic-series.js';
import { href } from '../router/use-hash-route.js';

/** How often the list refreshes each model's traffic and drift. */
const REFRESH_MS = 10_000;

/** One model of the models list, with its recent request rate and drift loaded beside it. */
export function ModelRow({ model }: { readonly model: ModelRecord }) {
  const traffic = useApi(`traffic:${model.name}`, (signal) => berthApi.traffic(model.name, { from: '5m', step: '1m' }, signal), { refreshMs: REFRESH_MS });
  const drift = useApi(`drift:${model.name}`, (signal) => berthApi.drift(model.name, { from: '24h' }, signal), { refreshMs: REFRESH_MS * 3 });
  const status = drift.data ? driftStatus(drift.data) : undefined;
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
        {traffic.data ? formatRate(requestRate(traffic.data.points)) : traffic.error ? <span className="muted">—</span> : <span className="muted">…</span>}
      </td>
      <td data-label="Drift (24 h)">
        {status ? <StatusBadge {...status} /> : drift.error ? <span className="muted" title={drift.error.message}>—</span> : <span className="muted">…</span>}
      </td>
      <td data-label="Open" className="actions">
        <a href={href('monitoring', model.name)}>Monitoring</a>
        <a href={href('playground', model.name)}>Playground</a>
      </td>
    </tr>
  );
}
