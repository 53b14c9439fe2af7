import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start servers and worker threads; separate processes keep them apart.
    pool: 'forks',
    reporters: ['default'],
  },
});
