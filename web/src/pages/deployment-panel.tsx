import { useQueries, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { DeploymentRecord, DeploymentStatus, ModelRecord, SetDeployment, VersionRecord } from '../api/api-types.js';
import { berthApi } from '../api/berth-api.js';
import { every, queries } from '../api/queries.js';
import type { PendingAction } from '../components/confirm-dialog.js';
import { DeploymentTable, ShadowComparisonView } from '../components/deployment-view.js';
import { ErrorState } from '../components/error-state.js';
import { ResourceView } from '../components/resource-view.js';
import { formatPercent } from '../lib/format.js';

/** Ranges of the figures. */
const RANGES = [
  { id: '5m', label: '5 min' },
  { id: '1h', label: '1 hour' },
] as const;

/** Props of {@link DeploymentPanel}. */
export interface DeploymentPanelProps {
  readonly model: ModelRecord;
  readonly versions: readonly VersionRecord[];
  /** Asks the page to confirm and run an action. */
  readonly confirm: (action: PendingAction) => void;
}

/** The policy a change leaves, as the PUT body (null: nothing left, clear the deployment). */
function policyBody(current: DeploymentRecord | null, change: Partial<Pick<SetDeployment, 'variants' | 'shadows' | 'sticky'>>): SetDeployment | null {
  const variants = change.variants ?? current?.variants ?? [];
  const shadows = change.shadows ?? current?.shadows ?? [];
  if (variants.length === 0 && shadows.length === 0) return null;
  const sticky = change.sticky ?? current?.sticky;
  return { variants, shadows, ...(sticky ? { sticky } : {}), expectedSeq: current?.seq ?? 0 };
}

/** Writes a policy, or clears the deployment when nothing is left. The server checks everything. */
async function write(model: string, body: SetDeployment | null): Promise<void> {
  if (body === null) await berthApi.clearDeployment(model);
  else await berthApi.setDeployment(model, body);
}

/** One sentence saying who answers requests naming the model plainly. */
function describe(status: DeploymentStatus): string {
  const d = status.deployment;
  const fallback = status.defaultVersion === null ? 'No version answers yet.' : `Version ${status.defaultVersion} (the default version) takes all traffic.`;
  if (!d) return `No deployment: ${fallback.charAt(0).toLowerCase()}${fallback.slice(1)}`;
  const split = d.variants.length > 0 ? `Traffic is split: ${d.variants.map((v) => `v${v.version} ${formatPercent(v.weight / 100)}`).join(', ')}.` : fallback;
  const shadows = d.shadows.length > 0 ? ` Shadows: ${d.shadows.map((s) => `v${s.version} (${formatPercent(s.sample)} of requests copied)`).join(', ')}.` : '';
  return `${split}${shadows}`;
}

/**
 * The model's deployment: who answers (variants and their weights, or the default version), its
 * shadows, its sticky key, and each version's live figures side by side with each shadow's
 * comparison; and controls to split traffic and to add or remove a shadow. Each change asks
 * first, then goes to the deployment API, which checks it (a refusal shows in the dialog).
 */
export function DeploymentPanel({ model, versions, confirm }: DeploymentPanelProps) {
  const [range, setRange] = useState<(typeof RANGES)[number]>(RANGES[0]);
  const status = useQuery({ ...queries.deployment(model.name, range.id), refetchInterval: every(5_000) });
  const deployment = status.data?.deployment ?? null;
  const shadows = deployment?.shadows ?? [];
  const comparisons = useQueries({
    queries: shadows.map((s) => ({ ...queries.shadowComparison(model.name, s.version, range.id), refetchInterval: every(5_000) })),
  });

  return (
    <section className="panel" aria-labelledby="deployment-title">
      <div className="panel-head">
        <h2 id="deployment-title">Deployment</h2>
        <div className="segmented" role="group" aria-label="Range of the figures">
          {RANGES.map((r) => (
            <button key={r.id} type="button" aria-pressed={r.id === range.id} onClick={() => setRange(r)}>
              {r.label}
            </button>
          ))}
        </div>
      </div>
      <ResourceView resource={status} what="the deployment">
        {(data) => (
          <>
            <p className="deployment-summary">
              {describe(data)}{' '}
              {data.deployment ? (
                <span className="muted">
                  Sticky key: {data.deployment.sticky.kind} <code>{data.deployment.sticky.name}</code>.
                </span>
              ) : null}
            </p>
            {data.versions === null ? (
              <p className="muted">Monitoring is off on this server: no figures per version.</p>
            ) : (
              <DeploymentTable
                status={data}
                range={range.label}
                actions={(v) =>
                  v.role === 'shadow' ? (
                    <button
                      type="button"
                      className="button button-small button-quiet"
                      onClick={() =>
                        confirm({
                          title: `Remove shadow v${v.version}`,
                          message: <p>Version {v.version} stops seeing copies of requests. What answers callers does not change.</p>,
                          confirmLabel: `Remove shadow v${v.version}`,
                          danger: true,
                          run: () => write(model.name, policyBody(data.deployment, { shadows: shadows.filter((s) => s.version !== v.version) })),
                        })
                      }
                    >
                      Remove
                    </button>
                  ) : null
                }
              />
            )}
            {comparisons.map((c, i) =>
              c.data ? (
                <ShadowComparisonView key={c.data.shadow} report={c.data} />
              ) : c.error ? (
                <ErrorState key={shadows[i]?.version ?? i} error={c.error} title={`Could not load the comparison of shadow v${shadows[i]?.version ?? ''}`} onRetry={() => void c.refetch()} />
              ) : null,
            )}
            <div className="deployment-forms">
              <SplitForm key={`split-${data.deployment?.seq ?? 0}`} status={data} versions={versions} confirm={confirm} />
              <ShadowForm key={`shadow-${data.deployment?.seq ?? 0}`} status={data} versions={versions} confirm={confirm} />
            </div>
          </>
        )}
      </ResourceView>
    </section>
  );
}

interface FormProps {
  readonly status: DeploymentStatus;
  readonly versions: readonly VersionRecord[];
  readonly confirm: (action: PendingAction) => void;
}

/** Weights per version (percent) and the sticky header; the server refuses weights that do not sum to 100. */
function SplitForm({ status, versions, confirm }: FormProps) {
  const model = status.model;
  const current = status.deployment;
  const shadowed = new Set((current?.shadows ?? []).map((s) => s.version));
  const numbers = versions.map((v) => v.version).filter((n) => !shadowed.has(n)).sort((a, b) => b - a);
  const [weights, setWeights] = useState<Record<number, string>>(() =>
    Object.fromEntries(numbers.map((n) => [n, String(current?.variants.find((v) => v.version === n)?.weight ?? (current?.variants.length ? 0 : n === status.defaultVersion ? 100 : 0))])),
  );
  const [sticky, setSticky] = useState(current?.sticky.kind === 'header' ? current.sticky.name : '');
  const variants = numbers.map((n) => ({ version: n, weight: Number(weights[n] || 0) })).filter((v) => v.weight > 0);
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  const hasSplit = (current?.variants.length ?? 0) > 0;

  const split = (): void => {
    const header = sticky.trim();
    const body = policyBody(current, { variants, ...(header ? { sticky: { kind: 'header' as const, name: header } } : {}) });
    confirm({
      title: 'Split traffic',
      message: (
        <>
          <p>
            Requests naming <b>{model}</b> plainly go {variants.map((v) => `${formatPercent(v.weight / 100)} to version ${v.version}`).join(', ')}
            {header ? (
              <>
                , one user (header <code>{header}</code>) always to the same version
              </>
            ) : null}
            . Servers load the versions first, so no request fails because of the change.
          </p>
          {Math.abs(total - 100) > 1e-6 ? <p className="muted">The weights add up to {total}%; the server accepts only 100%.</p> : null}
        </>
      ),
      confirmLabel: 'Split traffic',
      danger: true,
      run: () => write(model, body),
    });
  };

  return (
    <form
      className="deployment-form"
      aria-label="Split traffic"
      onSubmit={(event) => {
        event.preventDefault();
        split();
      }}
    >
      <h3>Split traffic</h3>
      <div className="deployment-weights">
        {numbers.map((n) => (
          <label key={n} className="field">
            <span>v{n} weight %</span>
            <input type="number" min={0} max={100} step="any" value={weights[n] ?? '0'} onChange={(e) => setWeights({ ...weights, [n]: e.target.value })} />
          </label>
        ))}
      </div>
      <label className="field">
        <span>Sticky header</span>
        <input value={sticky} onChange={(e) => setSticky(e.target.value)} placeholder="x-berth-route-key" aria-describedby="sticky-hint" />
        <span id="sticky-hint" className="field-hint">
          Requests with the same value always meet the same version.
        </span>
      </label>
      <p className={Math.abs(total - 100) > 1e-6 ? 'deployment-total deployment-total-off' : 'deployment-total'} aria-live="polite">
        Total {total}%{Math.abs(total - 100) > 1e-6 ? ' (must be 100%)' : ''}
      </p>
      <div className="deployment-buttons">
        <button type="submit" className="button button-primary" disabled={variants.length === 0}>
          Split traffic
        </button>
        {hasSplit ? (
          <button
            type="button"
            className="button"
            onClick={() =>
              confirm({
                title: 'Remove the split',
                message: (
                  <p>
                    The default version{status.defaultVersion === null ? '' : ` (${status.defaultVersion})`} takes all traffic again. Shadows are kept.
                  </p>
                ),
                confirmLabel: 'Remove the split',
                danger: true,
                run: () => write(model, policyBody(current, { variants: [] })),
              })
            }
          >
            Remove the split
          </button>
        ) : null}
      </div>
    </form>
  );
}

/** Adds a shadow: a version that sees a share of copies of requests and never answers. */
function ShadowForm({ status, versions, confirm }: FormProps) {
  const model = status.model;
  const current = status.deployment;
  const answering = new Set(current?.variants.length ? current.variants.map((v) => v.version) : status.defaultVersion === null ? [] : [status.defaultVersion]);
  const shadowed = new Set((current?.shadows ?? []).map((s) => s.version));
  const candidates = versions.map((v) => v.version).filter((n) => !answering.has(n) && !shadowed.has(n)).sort((a, b) => b - a);
  const [version, setVersion] = useState<number | ''>(candidates[0] ?? '');
  const [sample, setSample] = useState('100');

  if (candidates.length === 0) return <p className="muted deployment-form">Every other version already answers or shadows; register another to add a shadow.</p>;

  const add = (): void => {
    if (version === '') return;
    const share = Number(sample) / 100;
    const shadows = [...(current?.shadows ?? []).filter((s) => s.version !== version), { version, sample: share }];
    confirm({
      title: `Add shadow v${version}`,
      message: (
        <p>
          Version {version} sees copies of {formatPercent(share)} of the requests naming <b>{model}</b> plainly, after they are answered. Its answers are compared
          and never returned; callers are not slowed.
        </p>
      ),
      confirmLabel: `Add shadow v${version}`,
      run: () => write(model, policyBody(current, { shadows })),
    });
  };

  return (
    <form
      className="deployment-form"
      aria-label="Add a shadow"
      onSubmit={(event) => {
        event.preventDefault();
        add();
      }}
    >
      <h3>Add a shadow</h3>
      <label className="field">
        <span>Shadow version</span>
        <select value={version} onChange={(e) => setVersion(Number(e.target.value))} required>
          {candidates.map((n) => (
            <option key={n} value={n}>
              v{n}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Requests copied %</span>
        <input type="number" min={0} max={100} step="any" value={sample} onChange={(e) => setSample(e.target.value)} required />
      </label>
      <div className="deployment-buttons">
        <button type="submit" className="button button-primary">
          Add shadow
        </button>
      </div>
    </form>
  );
}
