import type { ModelRecord, VersionDetail, VersionRecord } from '../api/api-types.js';
import { berthApi } from '../api/berth-api.js';
import type { PendingAction } from '../components/confirm-dialog.js';
import { MetricsList } from '../components/metrics-list.js';
import { formatBytes, formatTime, shortDigest } from '../lib/format.js';
import { aliasChipClass } from '../components/alias-chips.js';

/** Props of {@link VersionsTable}. */
export interface VersionsTableProps {
  readonly model: ModelRecord;
  readonly versions: readonly VersionRecord[];
  /** Manifests of the versions loaded so far, by version number. */
  readonly details: ReadonlyMap<number, VersionDetail>;
  readonly selected: number | undefined;
  readonly onSelect: (version: number) => void;
  readonly confirm: (action: PendingAction) => void;
}

/** Every version, newest first: metrics, digest, created, source, and its actions. */
export function VersionsTable({ model, versions, details, selected, onSelect, confirm }: VersionsTableProps) {
  const sorted = [...versions].sort((a, b) => b.version - a.version);
  return (
    <section className="panel" aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      <div className="table-scroll">
        <table className="table table-cards">
          <caption className="visually-hidden">Versions of {model.name}</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Metrics</th>
              <th scope="col">Created</th>
              <th scope="col">Source</th>
              <th scope="col">Digest</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((v) => (
              <tr key={v.version} className={v.version === selected ? 'selected' : undefined}>
                <th scope="row" data-label="Version">
                  <span className="version-number">v{v.version}</span>
                  {v.aliases.map((a) => (
                    <span key={a} className={aliasChipClass(a)}>
                      {a}
                    </span>
                  ))}
                </th>
                <td data-label="Metrics" className="wide">
                  {details.get(v.version) ? <MetricsList metrics={details.get(v.version)?.manifest.metrics} omit={['rows']} /> : <span className="muted">…</span>}
                </td>
                <td data-label="Created">{formatTime(v.created)}</td>
                <td data-label="Source" className="wrap source wide">
                  {v.source}
                </td>
                <td data-label="Digest">
                  <code title={v.digest}>{shortDigest(v.digest)}</code>
                  <div className="muted small">{formatBytes(v.size)}</div>
                </td>
                <td data-label="Actions" className="actions">
                  <button type="button" className="button button-small" aria-pressed={v.version === selected} onClick={() => onSelect(v.version)}>
                    Schema
                  </button>
                  {model.aliases.production !== v.version ? (
                    <button
                      type="button"
                      className="button button-small button-primary"
                      onClick={() =>
                        confirm({
                          title: `Promote version ${v.version} to production`,
                          message:
                            model.aliases.production === undefined ? (
                              <p>Serve version {v.version} as production?</p>
                            ) : (
                              <p>
                                <b>production</b> moves from version {model.aliases.production} to version {v.version}. Traffic switches once it is loaded and
                                warm.
                              </p>
                            ),
                          confirmLabel: `Promote v${v.version}`,
                          danger: model.aliases.production !== undefined,
                          run: async () => {
                            await berthApi.setAlias(model.name, 'production', v.version);
                          },
                        })
                      }
                    >
                      Promote
                    </button>
                  ) : null}
                  <button
                    type="button"
                    className="button button-small button-quiet"
                    // The server refuses to delete a version an alias points at: say so before the click.
                    disabled={v.aliases.length > 0}
                    title={v.aliases.length > 0 ? deleteBlockedReason(v.aliases) : undefined}
                    aria-describedby={v.aliases.length > 0 ? `delete-blocked-${v.version}` : undefined}
                    onClick={() =>
                      confirm({
                        title: `Delete version ${v.version}`,
                        message: (
                          <p>
                            Delete version {v.version} of {model.name} and its files? This cannot be undone.
                            {v.aliases.length > 0 ? ` The server refuses while ${v.aliases.join(', ')} point${v.aliases.length === 1 ? 's' : ''} at it.` : ''}
                          </p>
                        ),
                        confirmLabel: `Delete v${v.version}`,
                        danger: true,
                        run: async () => {
                          await berthApi.deleteVersion(model.name, v.version);
                        },
                      })
                    }
                  >
                    Delete
                  </button>
                  {v.aliases.length > 0 ? (
                    <span id={`delete-blocked-${v.version}`} className="muted small action-note">
                      {deleteBlockedReason(v.aliases)}
                    </span>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** Why Delete is off for a version aliases point at. */
function deleteBlockedReason(aliases: readonly string[]): string {
  return `Delete is off: ${aliases.map((a) => `@${a}`).join(', ')} point${aliases.length === 1 ? 's' : ''} at this version. Move ${aliases.length === 1 ? 'it' : 'them'} first.`;
}
