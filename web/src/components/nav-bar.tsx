import { useSyncExternalStore } from 'react';
import { authSnapshot, clearToken, subscribeAuth } from '../api/auth-store.js';

/** The dashboard's sections, in the order of the nav bar. */
const SECTIONS = [
  { id: 'models', label: 'Models', href: '#/models' },
  { id: 'monitoring', label: 'Monitoring', href: '#/monitoring' },
  { id: 'playground', label: 'Playground', href: '#/playground' },
  { id: 'train', label: 'Train and deploy', href: '#/train' },
] as const;

/** The top bar: the name, the sections (the current one marked), and sign-out when a token is set. */
export function NavBar({ section }: { readonly section: string }) {
  const auth = useSyncExternalStore(subscribeAuth, authSnapshot);
  return (
    <header className="topbar">
      <a className="brand" href="#/models">
        <span className="brand-mark" aria-hidden="true" />
        Berth
      </a>
      <nav aria-label="Sections">
        <ul className="nav">
          {SECTIONS.map((s) => (
            <li key={s.id}>
              <a href={s.href} aria-current={section === s.id ? 'page' : undefined}>
                {s.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {auth.token ? (
        <button type="button" className="button button-quiet signout" onClick={clearToken}>
          Forget token
        </button>
      ) : null}
    </header>
  );
}
