/**
 * Removing what crashed or killed processes left in a folder of temporary work: an entry goes once
 * nothing in it has changed for a while, so work still being written is never touched.
 */
import type { Dirent } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Options of {@link removeStaleEntries}. */
export interface StaleEntryOptions {
  /** Entries that hold others (`uploads`): each of their entries is judged on its own, and they stay. */
  readonly containers?: readonly string[];
  /** Now, epoch ms (tests). */
  readonly now?: number;
}

/**
 * Removes each entry of `dir` (a file, or a folder with everything in it) whose newest
 * modification, anywhere inside it, is older than `olderThanMs`. Returns how many were removed. A
 * folder that does not exist holds nothing; an entry that vanishes meanwhile (another process
 * finished or removed it) is skipped.
 */
export async function removeStaleEntries(dir: string, olderThanMs: number, options: StaleEntryOptions = {}): Promise<number> {
  const cutoff = (options.now ?? Date.now()) - olderThanMs;
  const containers = new Set(options.containers ?? []);
  let removed = 0;
  for (const entry of await entriesOf(dir)) {
    const path = join(dir, entry.name);
    if (containers.has(entry.name) && entry.isDirectory()) {
      removed += await removeStaleEntries(path, olderThanMs, { now: cutoff + olderThanMs });
      continue;
    }
    const newest = await newestChange(path);
    if (newest !== undefined && newest < cutoff) {
      await rm(path, { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}

/** The newest modification time in a file or folder tree, epoch ms; undefined when it is gone. */
async function newestChange(path: string): Promise<number | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return undefined;
  let newest = info.mtimeMs;
  if (info.isDirectory()) {
    for (const entry of await entriesOf(path)) {
      const inner = await newestChange(join(path, entry.name));
      if (inner !== undefined && inner > newest) newest = inner;
    }
  }
  return newest;
}

async function entriesOf(dir: string): Promise<Dirent[]> {
  return readdir(dir, { withFileTypes: true }).catch(() => []);
}
