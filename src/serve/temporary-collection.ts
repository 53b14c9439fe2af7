/**
 * A serving replica collects the temporary files that killed processes and failed requests leave
 * behind (interrupted `register` and `import` runs, cut-off uploads, the work folders of training
 * jobs whose replica died): once at start-up, then periodically, removing only what has not
 * changed for a while.
 */
import type { Registry } from '../registry/index.js';
import { removeStaleEntries } from '../store/stale-entries.js';

/** Options of {@link startTemporaryCollection}. */
export interface TemporaryCollectionOptions {
  readonly registry: Registry;
  /** Other folders of temporary work (the training jobs' work folder), whose entries go once untouched for their own age, in ms. */
  readonly folders: readonly { readonly dir: string; readonly olderThanMs: number }[];
  /** How often to collect, in ms. */
  readonly intervalMs: number;
  /** What has not changed for this long is left over, in ms. */
  readonly olderThanMs: number;
  /** Entries removed by one collection, when there were any. */
  readonly onCollected: (removed: number) => void;
  readonly onError: (error: unknown) => void;
}

/** A running collection; `close` stops it and waits for a collection under way. */
export interface TemporaryCollection {
  close(): Promise<void>;
}

/** Collects now and then every `intervalMs` until closed. */
export function startTemporaryCollection(options: TemporaryCollectionOptions): TemporaryCollection {
  let running: Promise<void> | undefined;
  const collect = (): void => {
    running ??= (async () => {
      let removed = await options.registry.collectTemporary(options.olderThanMs);
      for (const folder of options.folders) removed += await removeStaleEntries(folder.dir, folder.olderThanMs);
      if (removed > 0) options.onCollected(removed);
    })()
      .catch(options.onError)
      .finally(() => (running = undefined));
  };
  collect();
  const timer = setInterval(collect, options.intervalMs);
  timer.unref();
  return {
    close: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
