/**
 * Loads data from the API for a view: loading, data and error states, cancellation when the view
 * goes away or its key changes, optional polling for live views, and a reload after a new admin
 * token is saved.
 */
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { ApiError } from '../api/api-client.js';
import { authSnapshot, subscribeAuth } from '../api/auth-store.js';

/** What a view renders from. */
export interface ApiResource<T> {
  /** The last data loaded; kept while a refresh runs, so live charts do not flicker. */
  readonly data: T | undefined;
  readonly error: Error | undefined;
  /** True until the first answer for the current key arrives. */
  readonly loading: boolean;
  /** Loads again now. */
  readonly reload: () => void;
}

/** Options of {@link useApi}. */
export interface UseApiOptions {
  /**
   * Reload every this many milliseconds while the view is shown (and the tab visible). Polling
   * stops after a 401 (a new token reloads anyway) or a 404 (a model without a profile stays
   * without one), so a page left open does not repeat a refused request forever.
   */
  readonly refreshMs?: number;
}

/**
 * Calls `load` whenever `key` changes (null: load nothing). `load` may close over anything; the
 * key alone decides when it runs again.
 *
 * @example
 *   const models = useApi('models', (signal) => berthApi.models(signal));
 */
export function useApi<T>(key: string | null, load: (signal: AbortSignal) => Promise<T>, options: UseApiOptions = {}): ApiResource<T> {
  const { generation } = useSyncExternalStore(subscribeAuth, authSnapshot);
  const [state, setState] = useState<{ key: string | null; data?: T; error?: Error; settled: boolean }>({ key, settled: false });
  const [nonce, setNonce] = useState(0);
  const loadRef = useRef(load);
  useEffect(() => {
    loadRef.current = load;
  });

  useEffect(() => {
    if (key === null) return undefined;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async (): Promise<void> => {
      try {
        const data = await loadRef.current(controller.signal);
        if (!controller.signal.aborted) setState({ key, data, settled: true });
      } catch (error) {
        if (controller.signal.aborted) return;
        // A failed refresh keeps the last data beside the error.
        setState((previous) => ({ key, data: previous.key === key ? previous.data : undefined, error: error as Error, settled: true }));
        if (error instanceof ApiError && (error.status === 401 || error.status === 404)) return;
      }
      if (options.refreshMs && !controller.signal.aborted) {
        timer = setTimeout(() => {
          if (document.visibilityState === 'hidden') timer = setTimeout(() => void run(), options.refreshMs);
          else void run();
        }, options.refreshMs);
      }
    };
    void run();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [key, nonce, generation, options.refreshMs]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  const current = state.key === key;
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : undefined,
    loading: key !== null && (!current || !state.settled),
    reload,
  };
}
