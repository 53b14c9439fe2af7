/**
 * Follows a training job live: its event stream while the server offers one, polling once a
 * second when the stream is unavailable or ends before the job does.
 */
import { useEffect, useState, useSyncExternalStore } from 'react';
import { streamEvents } from '../api/api-client.js';
import type { TrainingJob } from '../api/api-types.js';
import { authSnapshot, subscribeAuth } from '../api/auth-store.js';
import { berthApi } from '../api/berth-api.js';

const POLL_MS = 1000;

/** True once a job will not change again. */
export function isFinished(job: TrainingJob): boolean {
  return job.state === 'succeeded' || job.state === 'failed';
}

/** The latest state of job `id`, and the error that stopped following it (if any). */
export function useTrainingJob(id: string): { job: TrainingJob | undefined; error: Error | undefined; refresh: () => void } {
  const { generation } = useSyncExternalStore(subscribeAuth, authSnapshot);
  const [job, setJob] = useState<TrainingJob | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [nonce, setNonce] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    let latest: TrainingJob | undefined;
    const accept = (value: unknown): void => {
      const next = value as TrainingJob;
      if (next && typeof next === 'object' && next.id === id) {
        latest = next;
        setJob(next);
        setError(undefined);
      }
    };
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
    const follow = async (): Promise<void> => {
      try {
        // The stream sends the job as it is now, then every change, and ends once it has finished.
        try {
          await streamEvents(`/api/training/${encodeURIComponent(id)}/events`, accept, signal);
        } catch (streamError) {
          if (signal.aborted) return;
          // No stream (an older server, a proxy that buffers, an unknown id): polling below
          // follows the job, or reports why it cannot.
          void streamError;
        }
        while (!signal.aborted && !(latest && isFinished(latest))) {
          accept(await berthApi.trainingJob(id, signal));
          if (latest && isFinished(latest)) break;
          await sleep(POLL_MS);
        }
      } catch (failure) {
        if (!signal.aborted) setError(failure as Error);
      }
    };
    void follow();
    return () => controller.abort();
  }, [id, nonce, generation]);

  return { job, error, refresh: () => setNonce((n) => n + 1) };
}
