// "Train here" end to end in headless chromium: the new-run form's run trains in the page (webgpu on SwiftShader
// where chromium gives an adapter), its curve and epochs show, and the downloaded tar, unpacked into the runs
// directory, is a latentlab run: the server lists it, loadModel loads it, and its test loss computed here on the
// cpu matches the one the page wrote into summary.json.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { x as untar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { head } from '../../src/data/dataset.js';
import { loadData } from '../../src/data/load.js';
import { loadModel } from '../../src/io/model-files.js';
import { MAX_PAGE_HELD_OUT_SAMPLES } from '../../src/server/studio/page-data.js';
import { evaluateDataset } from '../../src/train/trainer.js';
import { hasChromium, type Studio, startStudio } from './browser.js';

/** The page's backend (webgpu) and Node's (wasm or native) sum in different orders: 1e-4 relative is ample. */
const TEST_LOSS_TOLERANCE = 1e-4;

describe.skipIf(!hasChromium)('train here', () => {
  let studio: Studio;

  beforeAll(async () => {
    studio = await startStudio({ gpu: true });
  });
  afterAll(async () => {
    await studio?.close();
  });

  it('trains a dense autoencoder in the page and downloads a run latentlab loads', async () => {
    const { page, url, runsDir } = studio;
    await page.goto(`${url}/#/new`);
    await page.getByTestId('train-here').waitFor();
    const backend = await page.getByTestId('page-backend-choice').locator('option').first().textContent();
    await page.locator('select[name="model.kind"]').selectOption('dense-ae');
    // A family the page cannot train says so and keeps "Train here" off.
    await page.locator('select[name="model.kind"]').selectOption('seq-ae');
    await expect
      .poll(() => page.getByTestId('page-refusal').textContent())
      .toContain('Trains on the server only: it takes text');
    expect(await page.getByRole('button', { name: 'Train here' }).isDisabled()).toBe(true);
    await page.locator('select[name="model.kind"]').selectOption('dense-ae');
    await page.locator('input[name="model.latent"]').fill('2');
    await page.locator('input[name="model.hidden"]').fill('16');
    await page.locator('input[name="train.epochs"]').fill('2');
    await page.locator('input[name="train.limit"]').fill('512');
    await page.locator('input[name="train.batchSize"]').fill('64');
    await page.getByRole('button', { name: 'Train here' }).click();
    await page.getByTestId('page-status').filter({ hasText: 'finished' }).waitFor({ timeout: 60_000 });
    if (process.env.STUDIO_SCREENSHOTS === '1')
      await page.screenshot({ path: join('docs', 'images', 'studio-train-here.png'), fullPage: true });
    // auto picks webgpu where the adapter is (this machine's chromium has SwiftShader's).
    const ran = await page.getByTestId('page-backend').getAttribute('data-backend');
    expect(backend).toBe(`auto (${ran})`);
    expect(await page.locator('[data-testid="train-here"] table.epochs tr').count()).toBe(3);
    expect(
      Number(await page.getByTestId('page-loss-chart').getAttribute('data-points')),
    ).toBeGreaterThanOrEqual(2);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('page-download').click(),
    ]);
    const file = join(runsDir, '..', download.suggestedFilename());
    await download.saveAs(file);
    await untar({ file, cwd: runsDir });
    const name = download.suggestedFilename().replace(/\.tar$/, '');

    const listed = await page.evaluate(async (run) => (await fetch(`/studio/api/runs/${run}`)).json(), name);
    expect(listed.model.kind).toBe('dense-ae');
    expect(listed.epochsDone).toBe(2);
    const config = JSON.parse(await readFile(join(runsDir, name, 'config.json'), 'utf8'));
    expect(config.environment).toMatchObject({ trainedIn: 'browser', backend: ran });
    const summary = JSON.parse(await readFile(join(runsDir, name, 'summary.json'), 'utf8'));

    const { model } = await loadModel(join(runsDir, name, 'model'));
    try {
      const splits = await loadData(config.data, {
        seed: config.seed,
        validationFraction: config.train.validationFraction,
      });
      const test = await evaluateDataset(model, head(splits.test, MAX_PAGE_HELD_OUT_SAMPLES));
      expect(summary.testSamples).toBe(Math.min(MAX_PAGE_HELD_OUT_SAMPLES, splits.test.size));
      expect(Math.abs(test.loss - summary.test.loss) / summary.test.loss).toBeLessThan(TEST_LOSS_TOLERANCE);
      console.log(`test loss: page (${ran}) ${summary.test.loss}, node ${test.loss}`);
    } finally {
      model.dispose();
    }
  });
});
