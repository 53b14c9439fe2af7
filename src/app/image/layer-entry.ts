/**
 * What goes into an image layer: files (copied from disk or given as bytes), folders and
 * symbolic links, each at an absolute path inside the image. Owners and times are not part of an
 * entry: every layer is written with root ownership and one fixed time, so the same entries give
 * the same bytes.
 */

/** A file, folder or symbolic link in a layer, at `path` (absolute inside the image, e.g. `/opt/berth/package.json`). */
export type LayerEntry =
  | { readonly type: 'file'; readonly path: string; readonly mode: number; readonly source: string; readonly size: number }
  | { readonly type: 'file'; readonly path: string; readonly mode: number; readonly content: Uint8Array }
  | { readonly type: 'directory'; readonly path: string; readonly mode: number }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string };

/** A file read from disk at write time. */
export function fileEntry(path: string, source: string, size: number, mode = 0o644): LayerEntry {
  return { type: 'file', path, mode, source, size };
}

/** A file with the given bytes (or UTF-8 text). */
export function contentEntry(path: string, content: Uint8Array | string, mode = 0o644): LayerEntry {
  return { type: 'file', path, mode, content: typeof content === 'string' ? Buffer.from(content) : content };
}

/** A folder. */
export function directoryEntry(path: string, mode = 0o755): LayerEntry {
  return { type: 'directory', path, mode };
}

/**
 * The entries sorted by path with every missing parent folder added (mode 0755), the last entry
 * winning where two share a path. Sorting makes the layer independent of the order files were
 * found in; parents first keeps extractors that do not create folders happy.
 */
export function normalizeEntries(entries: readonly LayerEntry[]): LayerEntry[] {
  const byPath = new Map<string, LayerEntry>();
  for (const entry of entries) {
    const path = normalizePath(entry.path);
    byPath.set(path, { ...entry, path });
    for (let parent = parentOf(path); parent !== '/'; parent = parentOf(parent)) {
      if (!byPath.has(parent)) byPath.set(parent, directoryEntry(parent));
    }
  }
  return [...byPath.values()].sort((a, b) => compareTarPaths(a.path, b.path));
}

function normalizePath(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new Error(`layer path ${path} leaves the image root`);
  return `/${parts.join('/')}`;
}

function parentOf(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}

/** Orders paths component by component, so a folder's contents follow it directly. */
function compareTarPaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return pa[i]! < pb[i]! ? -1 : 1;
  }
  return pa.length - pb.length;
}
