import { useQuery } from '@tanstack/react-query';
import type { ModelRecord, TrainingJob } from '../api/api-types.js';
import { berthApi } from '../api/berth-api.js';
import { every, queries } from '../api/queries.js';
import type { PendingAction } from '../components/confirm-dialog.js';
import { EmptyState } from '../components/empty-state.js';
import { StatusBadge } from '../components/status-badge.js';
import { formatAgo } from '../lib/format.js';
import { href } from '../router/use-hash-route.js';

const STATE_LEVEL = { queued: 'none', running: 'warn', succeeded: 'ok', failed: 'bad' } as const;

/**
 * The model's retraining: its policy (triggers, window, promotion) and its retraining jobs with
 * live progress and their decision, and a button that retrains now. The policy is set with
 * `berth retrain --policy` or the API; the server runs the triggers and judges the challenger.
 */
export function RetrainPanel({ model, confirm }: { readonly model: ModelRecord; readonly confirm: (action: PendingAction) => void }) {
  const policy = useQuery({ ...queries.retrainPolicy(model.name), refetchInterval: every(15_000) });
  const jobs = useQuery({ ...queries.retrainJobs(model.name), refetchInterval: every(3_000) });
  const active = (jobs.data ?? []).find((j) => j.state === 'queued' || j.state === 'running');
  const p = policy.data?.policy as { triggers?: { every?: string; cron?: string; onDrift?: boolean; newLabelledRows?: number }; since?: string; promote?: string } | null | undefined;
  const triggers = p
    ? [
        p.triggers?.every ? `every ${p.triggers.every}` : null,
        p.triggers?.cron ? `cron ${p.triggers.cron} (UTC)` : null,
        p.triggers?.onDrift ? 'on a drift alert' : null,
        p.triggers?.newLabelledRows ? `after ${p.triggers.newLabelledRows} new labelled rows` : null,
      ].filter((t) => t !== null)
    : [];
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
          : 'No retraining policy: the model retrains by hand. Set one with berth retrain --policy.'}
      </p>
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
