import { href } from '../router/use-hash-route.js';

/** Aliases as chips, `production → v3`; production first, then by name. */
export function AliasChips({ model, aliases }: { readonly model: string; readonly aliases: Readonly<Record<string, number>> }) {
  const entries = Object.entries(aliases).sort(([a], [b]) => (a === 'production' ? -1 : b === 'production' ? 1 : a.localeCompare(b)));
  if (entries.length === 0) return <span className="muted">none</span>;
  return (
    <ul className="chips" aria-label={`Aliases of ${model}`}>
      {entries.map(([alias, version]) => (
        <li key={alias} className={alias === 'production' ? 'chip chip-production' : 'chip'}>
          <a href={href('models', model)}>
            {alias} → v{version}
          </a>
        </li>
      ))}
    </ul>
  );
}
