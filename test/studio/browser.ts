// The studio under test: the server (with the studio plugin) on a free loopback port over a temporary runs
// directory, the app built by Vite into a temporary folder, and headless Debian chromium driven by playwright-core.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { inject } from 'vitest';
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

async function buildApp(appRoot: string | undefined, outDir: string): Promise<void> {
  await build({
    ...(appRoot ? { root: appRoot, configFile: false, base: '/' } : { configFile: 'studio/vite.config.ts' }),
    build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 4000 },
    logLevel: 'error',
  });
}

/**
 * The app (the studio, or `appRoot`) built by Vite from this checkout. The files of one run share one build of
 * each app, made by whichever file needs it first, in the run's folder (test/global-setup.ts): the server only
 * reads it. Without that folder (a run without the setup) each start builds its own into `temp`.
 */
async function builtApp(appRoot: string | undefined, temp: string): Promise<string> {
  const shared = inject('studioBuilds');
  if (!shared) {
    await buildApp(appRoot, join(temp, 'app'));
    return join(temp, 'app');
  }
  const target = join(shared, appRoot ? appRoot.replace(/[^\w-]/g, '_') : 'studio');
  // A finished build is renamed into place whole, so a target that exists is complete.
  if (existsSync(target)) return target;
  try {
    await mkdir(`${target}.lock`);
  } catch {
    // Another file is building it: wait for it (up to 3 minutes), else build one here.
    for (let i = 0; i < 1800 && !existsSync(target); i++) await new Promise((r) => setTimeout(r, 100));
    if (existsSync(target)) return target;
  }
  const mine = await mkdtemp(join(shared, 'building-'));
  await buildApp(appRoot, mine);
  try {
    await rename(mine, target);
  } catch {
    // Another file got there first with the same build.
    await rm(mine, { recursive: true, force: true });
  }
  return target;
}

export async function startStudio({ dataRoots, gpu, appRoot }: StudioStart = {}): Promise<Studio> {
  const temp = await mkdtemp(join(tmpdir(), 'latentlab-studio-'));
  const runsDir = join(temp, 'runs');
  const assetsDir = await builtApp(appRoot, temp);
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
