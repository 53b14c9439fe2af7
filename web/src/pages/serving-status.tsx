import type { ModelRecord } from '../api/api-types.js';
import { useQuery } from '@tanstack/react-query';
import { every, queries } from '../api/queries.js';
import { StatusBadge } from '../components/status-badge.js';

/**
 * What the server does with this model right now: which versions it serves and whether they are
 * ready, or that one failed to load. After a deploy or an alias move this is where the user sees
 * the new version go live (servers follow the registry within seconds).
 */
export function ServingStatus({ model }: { readonly model: ModelRecord }) {
  const aliased = new Set(Object.values(model.aliases).map(String));
  const status = useQuery({ ...queries.server(), refetchInterval: every(3_000) });
  if (!status.data) return null;
  const served = status.data.served.filter((s) => s.model === model.name).sort((a, b) => Number(b.default) - Number(a.default));
  const failures = (status.data.failures ?? []).filter((f) => f.model === model.name);
  const waiting = [...aliased].filter((v) => !served.some((s) => s.version === v) && !failures.some((f) => f.version === v));
  return (
    <ul className="serving" aria-label="Serving now">
      {served.map((s) => (
        <li key={s.version}>
          <StatusBadge level={s.state === 'ready' ? 'ok' : 'warn'} label={s.state === 'ready' ? 'serving' : s.state} />
          v{s.version}
          {s.aliases.length ? <span className="muted"> ({s.aliases.join(', ')})</span> : null}
        </li>
      ))}
      {waiting.map((v) => (
        <li key={`waiting:${v}`}>
          <StatusBadge level="warn" label="loading" detail="The server loads and warms this version before it takes traffic." /> v{v}
        </li>
      ))}
      {failures.map((f) => (
        <li key={`failed:${f.version}`}>
          <StatusBadge level="bad" label="failed to load" detail={f.reason} /> v{f.version} <span className="muted small">{f.reason}</span>
        </li>
      ))}
      {aliased.size === 0 ? (
        <li>
          <StatusBadge level="none" label="not served" /> <span className="muted">point an alias (production) at a version to serve it</span>
        </li>
      ) : null}
    </ul>
  );
}
