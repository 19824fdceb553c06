// The explorer's traversal panel: the server draws `latentlab traverse --labels`'s grid for a test item, checks
// its input, and in chromium the panel shows the grid. A screenshot goes to /tmp/latentlab-studio-traverse.png.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.js';
import { createStudioPlugin } from '../../src/server/studio/plugin.js';
import { trainTinyRun } from '../apps/cli-helper.js';
import { hasChromium, type Studio, startStudio } from './browser.js';

let temp: string;
let run: string;

beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), 'latentlab-studio-traverse-'));
  run = join(temp, 'runs', 'vae');
  await trainTinyRun('vae', run);
}, 60_000);
afterAll(async () => {
  await rm(temp, { recursive: true, force: true });
});

describe('studio traversal route', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildServer({ runsDir: join(temp, 'runs'), plugins: [createStudioPlugin({})] });
  });
  afterAll(async () => {
    await app?.close();
  });
  const traverse = (payload: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/studio/api/runs/vae/traverse', payload });

  it('draws a row per dimension and a column per step, with the margins of --labels', async () => {
    const all = await traverse({ from: 3, steps: 5 });
    expect(all.statusCode, all.body).toBe(200);
    expect(all.headers['content-type']).toBe('image/png');
    const one = await traverse({ from: 3, steps: 5, dims: [1] });
    expect(one.statusCode, one.body).toBe(200);
    const [grid, row] = [PNG.sync.read(all.rawPayload), PNG.sync.read(one.rawPayload)];
    // Three rows of 56 px tiles (and 2 px gaps) against one: the same width, two more rows.
    expect(grid.width).toBe(row.width);
    expect(grid.height - row.height).toBe(2 * (56 + 2));
    expect((await traverse({ from: 'mean', dims: { top: 2 } })).statusCode).toBe(200);
    expect((await traverse({ from: { seed: 2 }, dims: [0], steps: 3 })).statusCode).toBe(200);
  });

  it('refuses sizes past its bounds and dimensions the model lacks, naming the field', async () => {
    const many = await traverse({ steps: 22 });
    expect(many.statusCode).toBe(400);
    expect(many.json().field).toBe('steps');
    const rows = await traverse({ dims: Array.from({ length: 65 }, (_, i) => i) });
    expect(rows.statusCode).toBe(400);
    expect(rows.json().field).toBe('dims');
    const outside = await traverse({ dims: [3] });
    expect(outside.statusCode).toBe(400);
    expect(outside.json().error).toContain(
      'dimension 3 is out of range: the latent size is 3 (dimensions 0 to 2)',
    );
    const item = await traverse({ from: 5000 });
    expect(item.statusCode).toBe(400);
    expect(item.json().error).toContain('item 5000 is past the end');
  });
});

describe.skipIf(!hasChromium)('studio traversal in chromium', () => {
  let studio: Studio;
  beforeAll(async () => {
    studio = await startStudio();
    await cp(run, join(studio.runsDir, 'vae'), { recursive: true });
  });
  afterAll(async () => {
    await studio?.close();
  });

  it('asks for a traversal of one dimension, then of all, and shows the grid', async () => {
    const { page, url } = studio;
    await page.goto(`${url}/#/runs/vae/explore`);
    await page.waitForSelector('[data-testid="latent-scatter"][data-ready="true"]');
    await page.locator('select[name="dimension"]').selectOption('z1');
    await page.locator('input[name="from"]').fill('4');
    await page.locator('input[name="steps"]').fill('7');
    await page.getByRole('button', { name: 'Traverse' }).click();
    await page.waitForSelector('[data-testid="traversal"][data-ready="true"][src^="blob:"]');
    const oneRow = await page.getByTestId('traversal').evaluate((img: HTMLImageElement) => img.naturalHeight);
    await page.locator('select[name="dimension"]').selectOption('all');
    await page.getByRole('button', { name: 'Traverse' }).click();
    await page.waitForFunction((before) => {
      const img = document.querySelector<HTMLImageElement>('[data-testid="traversal"]');
      return img?.dataset.ready === 'true' && img.complete && img.naturalHeight > before;
    }, oneRow);
    const size = await page
      .getByTestId('traversal')
      .evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]);
    // Seven 56 px columns with their gaps, three rows (plus the labelled margins).
    expect(size[0]).toBeGreaterThan(7 * 58);
    expect(size[1] - oneRow).toBe(2 * 58);
    expect(await page.locator('figcaption', { hasText: 'each dimension of test item #4' }).count()).toBe(1);
    await page.getByTestId('traversal').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(tmpdir(), 'latentlab-studio-traverse.png'), fullPage: true });
  });
});
