import { useQuery } from '@tanstack/react-query';
import { queries } from '../api/queries.js';
import { ResourceView } from '../components/resource-view.js';
import { StatusBadge } from '../components/status-badge.js';
import { formatAgo } from '../lib/format.js';
import { href } from '../router/use-hash-route.js';
import { TrainingJobView } from './training-job-view.js';
import { UploadForm } from './upload-form.js';

const STATE_LEVEL = { queued: 'none', running: 'warn', succeeded: 'ok', failed: 'bad' } as const;

/** From a CSV file to a live endpoint without code: upload, train, register, deploy. */
export function TrainPage({ jobId }: { readonly jobId: string | undefined }) {
  return (
    <main className="page" aria-labelledby="page-title">
      <div className="page-head">
        <h1 id="page-title" tabIndex={-1}>Train and deploy</h1>
        {jobId ? (
          <a className="button" href="#/train">
            New training run
          </a>
        ) : null}
      </div>
      {jobId ? <TrainingJobView key={jobId} id={jobId} /> : <UploadForm />}
      {jobId ? null : <RecentJobs />}
    </main>
  );
}

function RecentJobs() {
  const jobs = useQuery(queries.trainingJobs());
  return (
    <ResourceView resource={jobs} what="earlier training runs" isEmpty={(data) => data.jobs.length === 0} empty={null}>
      {(data) => (
        <section className="panel" aria-labelledby="recent-title">
          <h2 id="recent-title">Earlier training runs</h2>
          <ul className="job-list">
            {[...data.jobs]
              .sort((a, b) => b.created.localeCompare(a.created))
              .slice(0, 10)
              .map((job) => (
                <li key={job.id}>
                  <StatusBadge level={STATE_LEVEL[job.state]} label={job.state} />
                  <a href={href('train', job.id)}>{job.retrain ? `retrain ${job.file} (${job.retrain.trigger.kind.replace('_', ' ')})` : `${job.file} → ${job.target}`}</a>
                  <span className="muted small">{formatAgo(job.created)}</span>
                  {job.registered ? <a href={href('models', job.registered.model)}>{`${job.registered.model} v${job.registered.version}`}</a> : null}
                </li>
              ))}
          </ul>
        </section>
      )}
    </ResourceView>
  );
}
