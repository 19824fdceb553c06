import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

const cores = availableParallelism();
// Vitest's default is one fork fewer than the cores: a single fork on the 2-core machine the suite is sized for.
// Two forks there keep both cores busy while one file waits on a child process, a browser or a timer.
const forks = Math.max(2, cores - 1);
// The wasm backend computes on as many threads as there are cores; with a fork per core each fork's threads
// would fight the others' (XNNPack's idle threads spin), which on 2 cores makes two files in parallel no faster
// than one after the other. So each fork, and the CLI processes it starts, gets its share of the cores. The
// files that test the thread count itself (test/engine/threads, backend, native) clear this.
const threadsPerFork = String(Math.max(1, Math.floor(cores / forks)));

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A folder the studio files share their Vite builds in (test/studio/browser.ts).
    globalSetup: ['test/global-setup.ts'],
    // TensorFlow.js backends are process-global; one fork per file keeps them fenced.
    pool: 'forks',
    maxWorkers: forks,
    env: { LATENTLAB_THREADS: process.env.LATENTLAB_THREADS ?? threadsPerFork },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
