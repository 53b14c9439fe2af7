/** Entry point: mounts the dashboard with its query cache. */
import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { authSnapshot, subscribeAuth } from './api/auth-store.js';
import { createQueryClient } from './api/queries.js';
import { App } from './app.js';
import './styles.css';

const queryClient = createQueryClient();
// A new token (or signing out) makes every view load its data again with it.
let generation = authSnapshot().generation;
subscribeAuth(() => {
  if (authSnapshot().generation === generation) return;
  generation = authSnapshot().generation;
  void queryClient.invalidateQueries();
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
