import { type ReactNode, useEffect } from 'react';
import { NavBar } from './components/nav-bar.js';
import { PageErrorBoundary } from './components/page-error-boundary.js';
import { TokenDialog } from './components/token-dialog.js';
import { ModelPage } from './pages/model-page.js';
import { ModelsPage } from './pages/models-page.js';
import { MonitoringPage } from './pages/monitoring-page.js';
import { NotFoundPage } from './pages/not-found-page.js';
import { PlaygroundPage } from './pages/playground-page.js';
import { TrainPage } from './pages/train-page.js';
import { useHashRoute } from './router/use-hash-route.js';

/** The page for a route, the nav section it belongs to, and the window title. */
function routeTo(segments: readonly string[], path: string): { page: ReactNode; section: string; title: string } {
  const [first = 'models', second, ...rest] = segments;
  if (rest.length === 0) {
    if (first === 'models' && second === undefined) return { page: <ModelsPage />, section: 'models', title: 'Models' };
    if (first === 'models' && second !== undefined) return { page: <ModelPage key={second} name={second} />, section: 'models', title: second };
    if (first === 'monitoring') return { page: <MonitoringPage key={second} name={second} />, section: 'monitoring', title: `Monitoring${second ? ` · ${second}` : ''}` };
    if (first === 'playground') return { page: <PlaygroundPage modelRef={second} />, section: 'playground', title: `Playground${second ? ` · ${second}` : ''}` };
    if (first === 'train') return { page: <TrainPage jobId={second} />, section: 'train', title: 'Train and deploy' };
  }
  return { page: <NotFoundPage path={path} />, section: '', title: 'Not found' };
}

/** The dashboard: the nav bar, the page of the current address, and the token dialog. */
export function App() {
  const route = useHashRoute();
  const { page, section, title } = routeTo(route.segments, route.path);
  useEffect(() => {
    document.title = `${title} · Berth`;
  }, [title]);
  // A new page starts at its top, with focus where a screen reader starts reading.
  useEffect(() => {
    window.scrollTo(0, 0);
    document.getElementById('page-title')?.focus({ preventScroll: true });
  }, [route.path]);
  return (
    <>
      <a className="skip-link" href="#page-title" onClick={(e) => (e.preventDefault(), document.getElementById('page-title')?.focus())}>
        Skip to content
      </a>
      <NavBar section={section} />
      {/* Keyed by the address, so moving to another page leaves a failed one behind. */}
      <PageErrorBoundary key={route.path}>{page}</PageErrorBoundary>
      <TokenDialog />
    </>
  );
}
