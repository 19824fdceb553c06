// The explorer with a zoo family (beta-tcvae, a VaeModel variant): it opens the run, draws samples from its
// prior and a traversal. A screenshot goes to /tmp/latentlab-studio-zoo.png.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainTinyRun } from '../apps/cli-helper.js';
import { hasChromium, type Studio, startStudio } from './browser.js';

let temp: string;
let studio: Studio;

describe.skipIf(!hasChromium)('studio explorer with a beta-tcvae run', () => {
  beforeAll(async () => {
    temp = await mkdtemp(join(tmpdir(), 'latentlab-studio-zoo-'));
    const run = join(temp, 'btc');
    await trainTinyRun('beta-tcvae', run);
    studio = await startStudio();
    await cp(run, join(studio.runsDir, 'btc'), { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await studio?.close();
    await rm(temp, { recursive: true, force: true });
  });

  it('opens the run, generates samples from its prior and traverses every dimension', async () => {
    const { page, url } = studio;
    await page.goto(`${url}/#/runs/btc/explore`);
    await page.waitForSelector('[data-testid="latent-scatter"][data-ready="true"]');
    await page.getByRole('button', { name: 'Generate' }).click();
    await page.locator('[data-testid="samples"][src^="blob:"]').waitFor();
    await page.locator('select[name="dimension"]').selectOption('all');
    await page.locator('input[name="steps"]').fill('5');
    await page.getByRole('button', { name: 'Traverse' }).click();
    await page.waitForSelector('[data-testid="traversal"][data-ready="true"][src^="blob:"]');
    const height = await page.getByTestId('traversal').evaluate((img: HTMLImageElement) => img.naturalHeight);
    // Three latent dimensions: three rows of 56 px tiles and their gaps.
    expect(height).toBeGreaterThanOrEqual(3 * 56);
    expect(await page.locator('.error, [role="alert"]').count()).toBe(0);
    await page.getByTestId('traversal').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(tmpdir(), 'latentlab-studio-zoo.png'), fullPage: true });
  });
});
