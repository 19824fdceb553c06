// The studio on text runs, in headless chromium: a tiny seq-vae trained here on patterned lines is shown in
// sentences (prior samples with resample and temperature, reconstructions with their token accuracy, the homotopy
// between two typed sentences) instead of image grids; a language model only writes. A screenshot goes to
// $STUDIO_TEXT_SCREENSHOT when set.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainRun } from '../../src/train/run.js';
import { patternCorpus as corpus } from '../text-fixtures.js';
import { hasChromium, type Studio, startStudio } from './browser.js';

const PATTERN = /^the \w+ \w+ \w+ \.$/;

describe.skipIf(!hasChromium)('studio on text runs', () => {
  let studio: Studio;

  async function trainText(name: string, model: Record<string, unknown>, epochs: number) {
    const file = join(studio.runsDir, '..', 'lines.txt');
    await writeFile(file, corpus(400));
    const trained = await trainRun(
      {
        model: { embedding: 16, hidden: 32, ...model } as never,
        data: { source: 'text', path: file, minCount: 1, maxLength: 8 },
        train: { epochs, batchSize: 32, optimizer: { learningRate: 0.005 } },
      },
      join(studio.runsDir, name),
      { monitor: false },
    );
    trained.model.dispose();
  }

  beforeAll(async () => {
    studio = await startStudio();
    await trainText('vae', { kind: 'seq-vae', latent: 8, wordDropout: 0, klAnnealSteps: 100_000 }, 20);
    await trainText('lm', { kind: 'lm' }, 8);
  }, 240_000);
  afterAll(async () => {
    await studio?.close();
  });

  it('links text runs to their sentences, not to the image explorer', async () => {
    const { page, url } = studio;
    await page.goto(url);
    const row = page.locator('tr[data-run="vae"]');
    await row.getByRole('link', { name: 'sentences' }).waitFor();
    expect(await row.getByRole('link', { name: 'explore' }).count()).toBe(0);
    await page.goto(`${url}/#/runs/vae`);
    await page.getByRole('link', { name: 'Samples, reconstructions and homotopies' }).click();
    await page.waitForURL(/#\/runs\/vae\/text$/);
  });

  it('shows samples, reconstructions and a homotopy of a seq-vae as sentences', async () => {
    const { page, url } = studio;
    await page.goto(`${url}/#/runs/vae/text`);
    await page.waitForSelector('.text-view[data-ready="true"]');
    expect(await page.locator('.facts').textContent()).toBe(
      'word tokens · vocabulary 15 · max length 8 · latent 8',
    );

    const samples = page.getByTestId('text-samples').locator('li');
    expect(await samples.count()).toBe(8);
    const greedy = await samples.allTextContents();
    for (const sentence of greedy) expect(sentence.split(' ').length).toBeGreaterThan(1);

    // Reconstructions of typed sentences: the input as read (an unknown word as <unk>), the output, the share.
    await page.locator('textarea[name="sentences"]').fill('the red cat runs .\nthe purple dog sings .');
    await page.getByRole('button', { name: 'Reconstruct' }).click();
    const table = page.getByTestId('text-reconstructions');
    await table.getByText('the <unk> dog sings .').waitFor();
    const first = table.locator('tr').nth(1).locator('td');
    expect(await first.allTextContents()).toEqual(['the red cat runs .', 'the red cat runs .', '100%']);
    expect(await table.locator('tr').nth(2).locator('td').first().textContent()).toBe(
      'the <unk> dog sings . (1 unknown)',
    );

    // Bowman's table: the ends are the typed sentences (memorised), the steps between are sentences too.
    await page.locator('input[name="from"]').fill('the red cat runs .');
    await page.locator('input[name="to"]').fill('the blue bird sings .');
    await page.locator('input[name="steps"]').fill('5');
    await page.getByRole('button', { name: 'Interpolate' }).click();
    const homotopy = page.getByTestId('text-homotopy');
    await expect.poll(() => homotopy.locator('tr').count()).toBe(6);
    const path = await homotopy.locator('td.sentence').allTextContents();
    expect(path[0]).toBe('the red cat runs .');
    expect(path[4]).toBe('the blue bird sings .');
    expect(await homotopy.locator('td.number').allTextContents()).toEqual([
      '0.00',
      '0.25',
      '0.50',
      '0.75',
      '1.00',
    ]);

    // Resample draws from the next seed; a temperature draws tokens.
    await page.locator('input[name="temperature"]').fill('1.5');
    await page.getByRole('button', { name: 'Resample' }).click();
    await page.waitForSelector('[data-testid="text-samples"][data-seed="1"]');
    expect(await page.locator('.hint', { hasText: 'seed 1, temperature 1.5' }).count()).toBe(1);
    expect(await samples.count()).toBe(8);
    if (process.env.STUDIO_TEXT_SCREENSHOT)
      await page.screenshot({ path: process.env.STUDIO_TEXT_SCREENSHOT, fullPage: true });
  });

  it('lets a language model write sentences only', async () => {
    const { page, url } = studio;
    await page.goto(`${url}/#/runs/lm/text`);
    await page.waitForSelector('.text-view[data-ready="true"]');
    expect(await page.locator('.facts').textContent()).toContain('language model');
    // Greedy, a language model writes one sentence n times: the view draws tokens (temperature 1) instead.
    expect(await page.locator('input[name="temperature"]').inputValue()).toBe('1');
    expect(await page.locator('.hint', { hasText: 'seed 0, temperature 1' }).count()).toBe(1);
    const written = await page.getByTestId('text-samples').locator('li').allTextContents();
    expect(written).toHaveLength(8);
    expect(new Set(written).size).toBeGreaterThan(1);
    // Most draws follow the pattern the model learnt.
    expect(written.filter((sentence) => PATTERN.test(sentence)).length).toBeGreaterThanOrEqual(4);
    expect(await page.getByRole('heading', { name: 'Reconstructions' }).isVisible()).toBe(false);
    expect(await page.getByRole('heading', { name: 'Homotopy' }).isVisible()).toBe(false);
  });
});
