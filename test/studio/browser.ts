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
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Chromium's flags for the page's GPU backends without a GPU: WebGPU on SwiftShader's Vulkan (needs a secure
 * context: the loopback origin is one) and WebGL on ANGLE's SwiftShader, both on the CPU.
 */
export const GPU_FLAGS = ['--enable-unsafe-webgpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

export interface StudioStart {
  /** Folders the studio may read data from (an `audio:DIR` run's recordings must lie under one). */
  dataRoots?: string[];
  /** Start chromium with GPU_FLAGS instead of --disable-gpu (training in the page). */
  gpu?: boolean;
  /** Serve this Vite app (a folder with index.html) instead of the studio, e.g. a test harness page. */
  appRoot?: string;
}

export async function startStudio({ dataRoots, gpu, appRoot }: StudioStart = {}): Promise<Studio> {
  const temp = await mkdtemp(join(tmpdir(), 'latentlab-studio-'));
  const runsDir = join(temp, 'runs');
  const assetsDir = join(temp, 'app');
  await build({
    ...(appRoot ? { root: appRoot, configFile: false, base: '/' } : { configFile: 'studio/vite.config.ts' }),
    build: { outDir: assetsDir, emptyOutDir: true, chunkSizeWarningLimit: 4000 },
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
      ...(gpu ? GPU_FLAGS : ['--disable-gpu']),
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
    context: browser,
    async close() {
      await browser.close();
      await app.close();
      await rm(temp, { recursive: true, force: true });
    },
  };
}
