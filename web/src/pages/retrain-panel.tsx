import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { ModelRecord, RetrainPolicySettings, TrainingJob } from '../api/api-types.js';
import { berthApi } from '../api/berth-api.js';
import { every, queries } from '../api/queries.js';
import type { PendingAction } from '../components/confirm-dialog.js';
import { EmptyState } from '../components/empty-state.js';
import { StatusBadge } from '../components/status-badge.js';
import { formatAgo } from '../lib/format.js';
import { href } from '../router/use-hash-route.js';

const STATE_LEVEL = { queued: 'none', running: 'warn', succeeded: 'ok', failed: 'bad' } as const;

/** A policy's settings as the panel reads and writes them. */
type PolicySettings = RetrainPolicySettings & {
  triggers?: { every?: string; cron?: string; onDrift?: boolean; newLabelledRows?: number };
  since?: string;
  promote?: 'manual' | 'rollout' | 'auto';
};

/**
 * The model's retraining: its policy (triggers, window, promotion) with a form that sets or
 * removes it, and its retraining jobs with live progress and their decision, and a button that
 * retrains now. The server checks the policy, runs the triggers and judges the challenger.
 */
export function RetrainPanel({ model, confirm }: { readonly model: ModelRecord; readonly confirm: (action: PendingAction) => void }) {
  const policy = useQuery({ ...queries.retrainPolicy(model.name), refetchInterval: every(15_000) });
  const jobs = useQuery({ ...queries.retrainJobs(model.name), refetchInterval: every(3_000) });
  const active = (jobs.data ?? []).find((j) => j.state === 'queued' || j.state === 'running');
  const p = policy.data?.policy as PolicySettings | null | undefined;
  const triggers = p ? describeTriggers(p.triggers) : [];
  return (
    <section className="panel" aria-labelledby="retrain-title">
      <div className="panel-head">
        <h2 id="retrain-title">Retraining</h2>
        <button
          type="button"
          className="button button-small"
          disabled={active !== undefined}
          onClick={() =>
            confirm({
              title: `Retrain ${model.name}`,
              message: (
                <p>
                  A challenger is trained on the original training data of production and the labelled traffic of {p?.since ?? '7d'}, and judged against it on the same
                  recent rows. {p?.promote === 'auto' ? 'If better, it becomes production.' : p?.promote === 'rollout' ? 'If better, a rollout starts (shadow first).' : 'It is registered; nothing moves.'}
                </p>
              ),
              confirmLabel: 'Retrain now',
              run: async () => {
                await berthApi.retrainNow(model.name);
              },
            })
          }
        >
          Retrain now
        </button>
      </div>
      <p className="muted">
        {p
          ? `Policy: ${triggers.length ? triggers.join(', ') : 'by hand only'}; learns from the labelled traffic of ${p.since ?? '7d'}; a better challenger is ${p.promote === 'auto' ? 'made production' : p.promote === 'rollout' ? 'rolled out' : 'registered and waits'}.`
          : 'No retraining policy: the model retrains by hand. Set one below.'}
      </p>
      {policy.isSuccess ? <PolicyForm key={policy.data.updated ?? 'none'} model={model.name} current={p ?? null} confirm={confirm} /> : null}
      {jobs.data && jobs.data.length > 0 ? (
        <ul className="job-list" aria-label="Retraining jobs">
          {jobs.data.slice(0, 8).map((job) => (
            <RetrainJobLine key={job.id} job={job} />
          ))}
        </ul>
      ) : (
        <EmptyState title="No retraining yet" />
      )}
    </section>
  );
}

function RetrainJobLine({ job }: { readonly job: TrainingJob }) {
  const outcome = job.result?.retrain;
  return (
    <li>
      <StatusBadge level={STATE_LEVEL[job.state]} label={job.state} />
      <a href={href('train', job.id)}>
        from v{job.retrain?.champion} · {job.retrain?.trigger.kind.replace('_', ' ')}
      </a>
      <span className="muted small">{formatAgo(job.created)}</span>
      {job.state === 'running' || job.state === 'queued' ? <span className="muted small">{Math.round(job.progress.fraction * 100)}% {job.progress.message}</span> : null}
      {outcome ? <span>{`v${outcome.challenger}: ${outcome.decision}`}</span> : null}
      {job.error ? <span className="muted small">{job.error.code}</span> : null}
    </li>
  );
}

/**
 * Sets the model's policy: the triggers, the window and the promotion, the policy's other
 * settings (margin, rows, rollout plan) kept as they are. Asks first; the server checks it, and a
 * refusal shows in the dialog.
 */
function PolicyForm({ model, current, confirm }: { readonly model: string; readonly current: PolicySettings | null; readonly confirm: (action: PendingAction) => void }) {
  const [every, setEvery] = useState(current?.triggers?.every ?? '');
  const [cron, setCron] = useState(current?.triggers?.cron ?? '');
  const [onDrift, setOnDrift] = useState(current?.triggers?.onDrift ?? false);
  const [newRows, setNewRows] = useState(current?.triggers?.newLabelledRows === undefined ? '' : String(current.triggers.newLabelledRows));
  const [since, setSince] = useState(current?.since ?? '7d');
  const [promote, setPromote] = useState<'manual' | 'rollout' | 'auto'>(current?.promote ?? 'manual');

  const save = (): void => {
    const triggers = {
      ...(every.trim() ? { every: every.trim() } : {}),
      ...(cron.trim() ? { cron: cron.trim() } : {}),
      onDrift,
      ...(newRows.trim() ? { newLabelledRows: Number(newRows) } : {}),
    };
    const settings: PolicySettings = { ...(current ?? {}), triggers, since: since.trim(), promote };
    confirm({
      title: `Set the retraining policy of ${model}`,
      message: (
        <p>
          The server retrains {model} {describeTriggers(triggers).join(', ') || 'by hand only'}, on the labelled traffic of {since.trim() || '?'}, and a better challenger is{' '}
          {promote === 'auto' ? 'made production' : promote === 'rollout' ? 'rolled out, shadow first' : 'registered and waits for a person'}.
        </p>
      ),
      confirmLabel: 'Set policy',
      run: async () => {
        await berthApi.setRetrainPolicy(model, settings);
      },
    });
  };

  return (
    <form
      className="retrain-policy-form"
      aria-label="Retraining policy"
      onSubmit={(event) => {
        event.preventDefault();
        save();
      }}
    >
      <div className="field-grid">
        <label className="field">
          <span>Every</span>
          <input value={every} onChange={(e) => setEvery(e.target.value)} placeholder="1d" />
        </label>
        <label className="field">
          <span>Cron (UTC)</span>
          <input value={cron} onChange={(e) => setCron(e.target.value)} placeholder="0 3 * * *" />
        </label>
        <label className="field">
          <span>After new labelled rows</span>
          <input type="number" min={1} step={1} value={newRows} onChange={(e) => setNewRows(e.target.value)} placeholder="5000" />
        </label>
        <label className="field field-check">
          <input type="checkbox" checked={onDrift} onChange={(e) => setOnDrift(e.target.checked)} />
          <span>On a drift alert</span>
        </label>
        <label className="field">
          <span>Labelled traffic of</span>
          <input value={since} onChange={(e) => setSince(e.target.value)} placeholder="7d" required />
        </label>
        <label className="field">
          <span>A better challenger is</span>
          <select value={promote} onChange={(e) => setPromote(e.target.value as typeof promote)}>
            <option value="manual">registered (manual)</option>
            <option value="rollout">rolled out (rollout)</option>
            <option value="auto">made production (auto)</option>
          </select>
        </label>
      </div>
      <div className="form-actions">
        <button type="submit" className="button button-primary">
          Set policy
        </button>
        {current ? (
          <button
            type="button"
            className="button"
            onClick={() =>
              confirm({
                title: `Remove the retraining policy of ${model}`,
                message: <p>Nothing retrains {model} on its own any more; Retrain now still does.</p>,
                confirmLabel: 'Remove policy',
                danger: true,
                run: async () => {
                  await berthApi.removeRetrainPolicy(model);
                },
              })
            }
          >
            Remove policy
          </button>
        ) : null}
      </div>
    </form>
  );
}

/** The triggers of a policy in words. */
function describeTriggers(triggers: PolicySettings['triggers']): string[] {
  return [
    triggers?.every ? `every ${triggers.every}` : null,
    triggers?.cron ? `cron ${triggers.cron} (UTC)` : null,
    triggers?.onDrift ? 'on a drift alert' : null,
    triggers?.newLabelledRows ? `after ${triggers.newLabelledRows} new labelled rows` : null,
  ].filter((t) => t !== null);
}
