/**
 * Follows a training job live: its event stream while the server offers one, each event written
 * into the query cache; the cached query polls once a second while the stream is unavailable or
 * ended before the job did.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { streamEvents } from '../api/api-client.js';
import type { TrainingJob } from '../api/api-types.js';
import { every, keys, queries } from '../api/queries.js';

const POLL_MS = 1000;

/** True once a job will not change again. */
export function isFinished(job: TrainingJob): boolean {
  return job.state === 'succeeded' || job.state === 'failed';
}

/** The latest state of job `id`, and the error that stopped following it (if any). */
export function useTrainingJob(id: string): { job: TrainingJob | undefined; error: Error | null; refresh: () => void } {
  const client = useQueryClient();
  const [streaming, setStreaming] = useState(true);
  const poll = every(POLL_MS);
  const query = useQuery({
    ...queries.trainingJob(id),
    refetchInterval: (q) => (streaming || (q.state.data && isFinished(q.state.data)) ? false : poll(q)),
  });

  useEffect(() => {
    const controller = new AbortController();
    setStreaming(true);
    const accept = (value: unknown): void => {
      const job = value as TrainingJob;
      if (job && typeof job === 'object' && job.id === id) client.setQueryData(keys.trainingJob(id), job);
    };
    // The stream sends the job as it is now, then every change, and ends once it has finished. An
    // older server, a proxy that buffers or an unknown id ends it early: polling takes over.
    streamEvents(`/api/training/${encodeURIComponent(id)}/events`, accept, controller.signal)
      .catch(() => undefined)
      .finally(() => {
        if (!controller.signal.aborted) setStreaming(false);
      });
    return () => controller.abort();
  }, [client, id]);

  return { job: query.data, error: query.error, refresh: () => void query.refetch() };
}
