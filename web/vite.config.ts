/**
 * Builds the dashboard into web/dist, which `registerWebRoutes` serves at `/`. Assets use relative
 * URLs so the same build works behind a proxy that mounts Berth under a sub-path.
 *
 * `npm run dev:web` serves it with hot reload and forwards the API to a running `berth serve`
 * (BERTH_URL, default http://127.0.0.1:8080).
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const target = process.env.BERTH_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // React and Recharts (~600 kB minified) go into one vendor chunk that stays cached across
    // releases of the app's own code; the warning limit is raised to that size.
    chunkSizeWarningLimit: 800,
    rolldownOptions: { output: { codeSplitting: { groups: [{ name: 'vendor', test: /node_modules/ }] } } },
  },
  server: {
    proxy: { '/api': target, '/v2': target, '/v1': target, '/metrics': target },
  },
});
