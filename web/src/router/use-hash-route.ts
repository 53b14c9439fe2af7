/**
 * A small hash router: the page lives in `location.hash` (`#/models/loans`), so the server only
 * serves index.html and its assets, and every page has a URL that can be bookmarked and shared.
 */
import { useSyncExternalStore } from 'react';

/** The current route: path segments (decoded) and query parameters. */
export interface HashRoute {
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
  /** The path as written after `#`, for keys and links. */
  readonly path: string;
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

const snapshot = (): string => window.location.hash;

/** Parses `#/a/b?x=1`. */
export function parseHash(hash: string): HashRoute {
  const path = hash.replace(/^#/, '') || '/';
  const [pathname = '/', search = ''] = path.split('?', 2);
  const segments = pathname
    .split('/')
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { segments, query: new URLSearchParams(search), path };
}

/** The current route; re-renders on navigation. */
export function useHashRoute(): HashRoute {
  return parseHash(useSyncExternalStore(subscribe, snapshot));
}

/** The href of a dashboard page: `href('models', name)` → `#/models/loans`. */
export function href(...parts: readonly (string | number)[]): string {
  return `#/${parts.map((p) => encodeURIComponent(String(p))).join('/')}`;
}

/** Goes to a dashboard page. */
export function navigate(to: string): void {
  window.location.hash = to.replace(/^#/, '');
}
