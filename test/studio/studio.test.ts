// End to end in headless chromium: a run started from the generated form trains in a child process while the
// loss curve moves; the latent explorer decodes a clicked point; the GAN view draws a toy GAN as it trains;
// the anomaly view shows detect's heat maps. Screenshots go to docs/images/studio-*.png with STUDIO_SCREENSHOTS=1.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectRun } from '../../src/apps/detect.js';
import { hasChromium, type Studio, startStudio } from './browser.js';

const shots = process.env.STUDIO_SCREENSHOTS === '1';
const screenshot = async (studio: Studio, name: string, fullPage = false) => {
  if (shots) await studio.page.screenshot({ path: join('docs', 'images', `studio-${name}.png`), fullPage });
};

describe.skipIf(!hasChromium)('studio in chromium', () => {
  let studio: Studio;
  let aeRun = '';

  beforeAll(async () => {
    studio = await startStudio();
  });
  afterAll(async () => {
    await studio?.close();
  });

  it('opens on the runs list and starts a run from the form; the loss curve moves while it trains', async () => {
    const { page, url } = studio;
    await page.goto(url);
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    await page.getByText('No runs yet').waitFor();
    await page.getByRole('link', { name: 'New run', exact: true }).first().click();
    await page.locator('select[name="model.kind"]').selectOption('dense-ae');
    await page.locator('input[name="model.latent"]').fill('2');
    await page.locator('input[name="model.hidden"]').fill('128');
    await page.locator('input[name="train.epochs"]').fill('4');
    await page.locator('input[name="train.limit"]').fill('3000');
    await page.locator('input[name="train.batchSize"]').fill('32');
    await screenshot(studio, 'new-run');
    await page.getByRole('button', { name: 'Train on the server' }).click();
    await page.waitForURL(/#\/runs\/dense-ae-mnist-/);
    aeRun = decodeURIComponent(page.url().split('#/runs/')[1]);

    // The curve gains points while training (batch losses, then epoch means).
    const chart = page.getByTestId('loss-chart');
    await page.waitForFunction(
      () =>
        Number(document.querySelector<HTMLElement>('[data-testid="loss-chart"]')?.dataset.points ?? 0) >= 2,
    );
    const early = Number(await chart.getAttribute('data-points'));
    await page.waitForFunction(
      (n) =>
        Number(document.querySelector<HTMLElement>('[data-testid="loss-chart"]')?.dataset.points ?? 0) >
        n + 2,
      early,
    );
    await page.getByTestId('preview').waitFor();
    await page.getByTestId('status').filter({ hasText: 'finished' }).waitFor({ timeout: 90_000 });
    expect(await page.locator('table.epochs tr').count()).toBe(5);
    await screenshot(studio, 'training');

    await page.goto(url);
    await expect.poll(() => page.locator(`tr[data-run="${aeRun}"]`).textContent()).toContain('finished');
    await screenshot(studio, 'runs');
  });

  it('explores the latent space: hover shows an item, clicking empty space decodes it, two items interpolate', async () => {
    const { page, url } = studio;
    await page.goto(`${url}/#/runs/${aeRun}/explore`);
    const canvas = page.getByTestId('latent-scatter');
    await page.waitForSelector('[data-testid="latent-scatter"][data-ready="true"]');
    // Find a test item's screen position and an empty spot from the map the page drew.
    const { item, empty, items } = await page.evaluate(async (run) => {
      const map = await (await fetch(`/studio/api/runs/${run}/latent`)).json();
      const xs = map.points.filter((_: number, i: number) => i % 2 === 0);
      const ys = map.points.filter((_: number, i: number) => i % 2 === 1);
      const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
      const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
      const px = (x1 - x0) * 0.05 || 1;
      const py = (y1 - y0) * 0.05 || 1;
      const screen = (x: number, y: number) => [
        24 + ((x - x0 + px) / (x1 - x0 + 2 * px)) * 472,
        520 - 24 - ((y - y0 + py) / (y1 - y0 + 2 * py)) * 472,
      ];
      // An empty spot: a grid cell of the plot far from every point.
      let best = [0, 0];
      let bestD = -1;
      for (let gx = 40; gx < 480; gx += 20)
        for (let gy = 40; gy < 480; gy += 20) {
          let d = Number.POSITIVE_INFINITY;
          for (let i = 0; i < xs.length; i++) {
            const [sx, sy] = screen(xs[i], ys[i]);
            d = Math.min(d, (sx - gx) ** 2 + (sy - gy) ** 2);
          }
          if (d > bestD) {
            bestD = d;
            best = [gx, gy];
          }
        }
      // Two items far apart for the interpolation.
      let far = 1;
      for (let i = 1; i < xs.length; i++)
        if ((xs[i] - xs[0]) ** 2 + (ys[i] - ys[0]) ** 2 > (xs[far] - xs[0]) ** 2 + (ys[far] - ys[0]) ** 2)
          far = i;
      return {
        item: screen(xs[0], ys[0]),
        empty: best,
        items: [screen(xs[0], ys[0]), screen(xs[far], ys[far])],
      };
    }, aeRun);
    await canvas.hover({ position: { x: item[0], y: item[1] } });
    await page.locator('.tooltip:not([hidden]) img[src^="blob:"]').waitFor();
    await canvas.click({ position: { x: empty[0], y: empty[1] } });
    await page.locator('[data-testid="decoded"][src^="blob:"]').waitFor();
    expect(await page.locator('figcaption', { hasText: 'decoded z = (' }).count()).toBe(1);
    // Two items chosen: the strip between them.
    await canvas.click({ position: { x: items[0][0], y: items[0][1] } });
    await canvas.click({ position: { x: items[1][0], y: items[1][1] } });
    await page.locator('[data-testid="interpolation"][src^="blob:"]').waitFor();
    await page.getByRole('button', { name: 'Generate' }).click();
    await page.locator('[data-testid="samples"][src^="blob:"]').waitFor();
    await canvas.hover({ position: { x: item[0], y: item[1] } });
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(studio, 'explorer');
  });

  it('shows the anomalies detect found, with their heat maps', async () => {
    const { page, url, runsDir } = studio;
    // Ones normal, other digits anomalous: the one-class protocol's figures (AUROC, AUPRC) appear too.
    await detectRun({ run: join(runsDir, aeRun), options: { top: 6, normalClasses: [1] } });
    await page.goto(`${url}/#/runs/${aeRun}/anomalies`);
    await page.locator('.anomalies img[src^="blob:"]').first().waitFor();
    expect(await page.locator('.anomalies figure').count()).toBe(6);
    await screenshot(studio, 'anomalies');
  });

  it('draws a GAN on 2-D toy data: real and generated points over the discriminator surface, live', async () => {
    const { page, url } = studio;
    await page.goto(`${url}/#/new`);
    await page.locator('select[name="model.kind"]').selectOption('gan');
    await page.locator('input[name="model.generatorHidden"]').fill('64, 64');
    await page.locator('input[name="model.discriminatorHidden"]').fill('64, 64');
    await page.locator('input[name="model.generatorLearningRate"]').fill('0.001');
    await page.locator('input[name="model.discriminatorLearningRate"]').fill('0.001');
    await page.locator('select[name="data.source"]').selectOption({ label: 'toy' });
    await page.locator('select[name="data.name"]').selectOption({ label: 'ring8' });
    await page.locator('input[name="model.r1"]').fill('1');
    await page.locator('input[name="data.size"]').fill('8192');
    await page.locator('input[name="train.epochs"]').fill('24');
    await page.locator('input[name="train.batchSize"]').fill('256');
    await page.getByRole('button', { name: 'Train on the server' }).click();
    await page.waitForURL(/#\/runs\/gan-toy-ring8-/);
    // The first field drawn may be a later epoch's: under load the worker can finish epoch 1 before the page
    // has subscribed to its events (waiting for epoch 1 exactly timed out in a busy full suite).
    const drawnEpoch = () =>
      page.evaluate(() =>
        Number(document.querySelector<HTMLElement>('[data-testid="gan-canvas"]')?.dataset.epoch ?? 0),
      );
    await page.waitForSelector('[data-testid="gan-canvas"][data-epoch]', { timeout: 60_000 });
    const first = await drawnEpoch();
    expect(first).toBeGreaterThanOrEqual(1);
    // It redraws as epochs pass.
    await page.waitForFunction(
      (seen) =>
        Number(document.querySelector<HTMLElement>('[data-testid="gan-canvas"]')?.dataset.epoch ?? 0) > seen,
      first,
      { timeout: 60_000 },
    );
    await page.getByTestId('status').filter({ hasText: 'finished' }).waitFor({ timeout: 90_000 });
    await screenshot(studio, 'gan', true);
  });
});
