// The studio under test: the server (with the studio plugin) on a free loopback port over a temporary runs
// directory, the app built by Vite into a temporary folder, and headless Debian chromium driven by playwright-core.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { selectBackend } from '../../src/engine/backend.js';
import { buildServer } from '../../src/server/app.js';
import { createStudioPlugin } from '../../src/server/studio/plugin.js';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

export interface Studio {
  url: string;
  runsDir: string;
  page: Page;
  close(): Promise<void>;
}

/** `dataRoots`: folders the studio may read data from (an `audio:DIR` run's recordings must lie under one). */
export async function startStudio({ dataRoots }: { dataRoots?: string[] } = {}): Promise<Studio> {
  const temp = await mkdtemp(join(tmpdir(), 'latentlab-studio-'));
  const runsDir = join(temp, 'runs');
  const assetsDir = join(temp, 'app');
  await build({
    configFile: 'studio/vite.config.ts',
    build: { outDir: assetsDir, emptyOutDir: true },
    logLevel: 'error',
  });
  await selectBackend({ log: () => {} });
  await mkdir(runsDir);
  const app: FastifyInstance = await buildServer({
    runsDir,
    plugins: [createStudioPlugin({ assetsDir, ...(dataRoots ? { dataRoots } : {}) })],
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  // A fresh profile per run: launchPersistentContext takes the user data dir (playwright refuses it as an arg).
  const browser: BrowserContext = await chromium.launchPersistentContext(join(temp, 'profile'), {
    executablePath: CHROMIUM,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  return {
    url,
    runsDir,
    page,
    async close() {
      await browser.close();
      await app.close();
      await rm(temp, { recursive: true, force: true });
    },
  };
}
