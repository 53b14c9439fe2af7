import { useState } from 'react';
import type { ModelRecord, RollbackPlans, VersionRecord } from '../api/api-types.js';
import { berthApi } from '../api/berth-api.js';
import type { PendingAction } from '../components/confirm-dialog.js';
import { EmptyState } from '../components/empty-state.js';
import { aliasChipClass, sortedAliases } from '../components/alias-chips.js';

/** Props of {@link AliasesPanel}. */
export interface AliasesPanelProps {
  readonly model: ModelRecord;
  readonly versions: readonly VersionRecord[];
  /** Where each alias would roll back to, as the server says (the rule is the registry's). */
  readonly rollback: RollbackPlans | undefined;
  /** Asks the page to confirm and run an action. */
  readonly confirm: (action: PendingAction) => void;
}

const SUGGESTED = ['production', 'staging'];

/**
 * The model's aliases with roll back and remove, and a form that points an alias at a version
 * (promote). Moving or removing an alias changes what serves traffic, so each asks first; adding
 * a new alias does not.
 */
export function AliasesPanel({ model, versions, rollback, confirm }: AliasesPanelProps) {
  const numbers = versions.map((v) => v.version).sort((a, b) => b - a);
  const [alias, setAlias] = useState('production');
  const [version, setVersion] = useState<number | ''>(numbers[0] ?? '');
  const aliases = sortedAliases(model.aliases);

  const promote = (): void => {
    const name = alias.trim();
    if (!name || version === '') return;
    const current = model.aliases[name];
    const run = async (): Promise<void> => {
      await berthApi.setAlias(model.name, name, version);
    };
    if (current === version) return;
    confirm(
      current === undefined
        ? { title: `Add alias ${name}`, message: <p>Point the new alias <b>{name}</b> at version {version}?</p>, confirmLabel: `Add ${name}`, run }
        : {
            title: `Promote version ${version} to ${name}`,
            message: (
              <p>
                <b>{name}</b> moves from version {current} to version {version}. Servers load and warm version {version}, then switch traffic to it
                without dropping requests.
              </p>
            ),
            confirmLabel: `Move ${name} to v${version}`,
            danger: true,
            run,
          },
    );
  };

  return (
    <section className="panel" aria-labelledby="aliases-title">
      <h2 id="aliases-title">Aliases</h2>
      {aliases.length === 0 ? (
        <EmptyState title="No aliases">Servers serve a model through its aliases; point production at a version below to serve it.</EmptyState>
      ) : (
        <div className="table-scroll">
          <table className="table table-cards">
            <caption className="visually-hidden">Aliases and the versions they point at</caption>
            <thead>
              <tr>
                <th scope="col">Alias</th>
                <th scope="col">Version</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {aliases.map(([name, current]) => {
                const back = rollback?.aliases.find((a) => a.alias === name && a.version === current)?.target ?? null;
                return (
                  <tr key={name}>
                    <th scope="row" data-label="Alias">
                      <span className={aliasChipClass(name)}>{name}</span>
                    </th>
                    <td data-label="Version">v{current}</td>
                    <td className="actions">
                      <button
                        type="button"
                        className="button button-small"
                        disabled={back === null}
                        title={back === null ? 'No earlier version to go back to' : `Point ${name} back at version ${back}`}
                        onClick={() =>
                          back !== null &&
                          confirm({
                            title: `Roll back ${name}`,
                            message: (
                              <p>
                                <b>{name}</b> moves back from version {current} to version {back}. Traffic switches once version {back} is loaded.
                              </p>
                            ),
                            confirmLabel: `Roll back to v${back}`,
                            danger: true,
                            run: async () => {
                              await berthApi.rollback(model.name, name);
                            },
                          })
                        }
                      >
                        Roll back{back === null ? '' : ` to v${back}`}
                      </button>
                      <button
                        type="button"
                        className="button button-small button-quiet"
                        onClick={() =>
                          confirm({
                            title: `Remove alias ${name}`,
                            message: (
                              <p>
                                Remove <b>{name}</b> (now version {current})? Clients calling <code>{`${model.name}@${name}`}</code> get 404 until it is set again.
                              </p>
                            ),
                            confirmLabel: `Remove ${name}`,
                            danger: true,
                            run: async () => {
                              await berthApi.removeAlias(model.name, name);
                            },
                          })
                        }
                      >
                        Remove
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <form
        className="inline-form"
        aria-label="Point an alias at a version"
        onSubmit={(event) => {
          event.preventDefault();
          promote();
        }}
      >
        <label className="field">
          <span>Alias</span>
          <input list="alias-suggestions" value={alias} onChange={(e) => setAlias(e.target.value)} required pattern="[A-Za-z0-9_][A-Za-z0-9._\-]*" />
          <datalist id="alias-suggestions">
            {[...new Set([...SUGGESTED, ...Object.keys(model.aliases)])].map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </label>
        <label className="field">
          <span>Version</span>
          <select value={version} onChange={(e) => setVersion(Number(e.target.value))} required>
            {numbers.map((n) => (
              <option key={n} value={n}>
                v{n}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="button button-primary" disabled={version === '' || model.aliases[alias.trim()] === version}>
          Promote
        </button>
      </form>
    </section>
  );
}
