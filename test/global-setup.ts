// Once per `vitest run`: a folder where the studio test files share what they build (test/studio/browser.ts
// builds each Vite app into it once for the run, instead of once per file), removed when the run ends.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's folder for built apps; absent when a run is started without this setup. */
    studioBuilds?: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'latentlab-studio-builds-'));
  project.provide('studioBuilds', dir);
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
