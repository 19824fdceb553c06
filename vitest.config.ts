import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // TensorFlow.js backends are process-global; one fork per file keeps them fenced.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
