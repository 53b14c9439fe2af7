import { href } from '../router/use-hash-route.js';

/** Alias entries in display order: production first, then by name. */
export function sortedAliases<T>(aliases: Readonly<Record<string, T>>): [string, T][] {
  return Object.entries(aliases).sort(([a], [b]) => (a === 'production' ? -1 : b === 'production' ? 1 : a.localeCompare(b)));
}

/** The class of an alias chip: production stands out. */
export function aliasChipClass(alias: string): string {
  return alias === 'production' ? 'chip chip-production' : 'chip';
}

/** Aliases as chips, `production → v3`; production first, then by name. */
export function AliasChips({ model, aliases }: { readonly model: string; readonly aliases: Readonly<Record<string, number>> }) {
  const entries = sortedAliases(aliases);
  if (entries.length === 0) return <span className="muted">none</span>;
  return (
    <ul className="chips" aria-label={`Aliases of ${model}`}>
      {entries.map(([alias, version]) => (
        <li key={alias} className={aliasChipClass(alias)}>
          <a href={href('models', model)}>
            {alias} → v{version}
          </a>
        </li>
      ))}
    </ul>
  );
}
