// Sweeps in the studio, in headless chromium: the list counts each sweep's trials by status, and a sweep's page
// shows each setting over its seeds and each trial's progress, live: a trial trained while the page is open
// turns from waiting to finished without a reload. The API refuses a sweep folder that is not one. A screenshot
// goes to $STUDIO_SWEEP_SCREENSHOT when set.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSweep } from '../../src/apps/sweep/spec.js';
import { recordSpec, runTrial, sweepResults, writeResults } from '../../src/apps/sweep/trials.js';
import { hasChromium, type Studio, startStudio } from './browser.js';

describe.skipIf(!hasChromium)('sweeps in the studio', () => {
  let studio: Studio;
  const { spec, trials } = parseSweep({
    name: 'latents',
    base: {
      model: { kind: 'dense-ae', hidden: [8] },
      data: { source: 'mnist' },
      train: { epochs: 2, limit: 200, batchSize: 100 },
    },
    grid: { 'model.latent': [2, 4] },
    seeds: [0, 1],
  });

  beforeAll(async () => {
    studio = await startStudio();
    await recordSpec(studio.runsDir, spec);
    // Two trials finished, the others not started.
    for (const trial of trials.slice(0, 2)) await runTrial(studio.runsDir, spec, trial);
  }, 240_000);
  afterAll(async () => {
    await studio?.close();
  });

  it('lists sweeps with their trials by status', async () => {
    const { page, url } = studio;
    await page.goto(url);
    await page.getByRole('link', { name: 'Sweeps' }).click();
    const row = page.locator('tr[data-sweep="latents"]');
    await row.waitFor();
    expect(await row.locator('td').allTextContents()).toEqual(['latents', '4', '2', '0', '0', '2']);
  });

  it('shows settings over seeds and each trial’s progress, live', async () => {
    const { page, url } = studio;
    await page.goto(`${url}/#/sweeps/latents`);
    await page.waitForSelector('[data-ready="true"]');
    const done = page.locator('tr[data-trial="p0-s1"]');
    expect(await done.getAttribute('data-status')).toBe('done');
    expect((await done.locator('td').allTextContents()).slice(0, 5)).toEqual([
      'p0-s1',
      'model.latent = 2',
      '1',
      ' 2 / 2',
      'finished',
    ]);
    expect(await page.locator('tr[data-trial="p1-s0"]').getAttribute('data-status')).toBe('pending');
    const settings = page.getByTestId('sweep-settings').locator('tr');
    expect(await settings.nth(1).locator('td').nth(1).textContent()).toBe('2 / 2');
    expect(await settings.nth(2).locator('td').nth(1).textContent()).toBe('0 / 2');

    // Trained while the page is open: the page follows without a reload.
    await runTrial(studio.runsDir, spec, trials[2]);
    await page.locator('tr[data-trial="p1-s0"][data-status="done"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('.facts').textContent()).toContain('3 of 4 trials done');
    if (process.env.STUDIO_SWEEP_SCREENSHOT)
      await page.screenshot({ path: process.env.STUDIO_SWEEP_SCREENSHOT, fullPage: true });
  });

  it('shows a failure the sweep reported; refuses folders that are not sweeps', async () => {
    const { page, url } = studio;
    const failures = new Map([['p1-s1', 'data: absent.csv cannot be read']]);
    await writeResults(studio.runsDir, spec, await sweepResults(studio.runsDir, spec, trials, failures));
    const api = (path: string) => page.request.get(`${url}${path}`);
    const sweep = await (await api('/studio/api/sweeps/latents')).json();
    expect(sweep.trials.map((t: { status: string }) => t.status)).toEqual(['done', 'done', 'done', 'failed']);
    expect(sweep.trials[3].error).toBe('data: absent.csv cannot be read');
    expect(sweep.planned).toEqual({ 'p0-s0': 2, 'p0-s1': 2, 'p1-s0': 2, 'p1-s1': 2 });
    const notSweep = await api('/studio/api/sweeps/nothing');
    expect(notSweep.status()).toBe(404);
    // A sweep.json naming another sweep, or not a spec at all, is a 400 naming the folder.
    await writeFile(
      join(studio.runsDir, 'latents', 'sweep.json'),
      JSON.stringify({ ...spec, name: 'other' }),
    );
    const wrong = await api('/studio/api/sweeps/latents');
    expect(wrong.status()).toBe(400);
    expect((await wrong.json()).error).toContain('names another sweep');
    expect(await readFile(join(studio.runsDir, 'latents', 'results.md'), 'utf8')).toContain(
      'failed: data: absent.csv',
    );
  });

  it('lists a sweep of anomaly-benchmark cells: no epochs planned, each cell its AUROC and AUPRC', async () => {
    const { page, url } = studio;
    const data = join(studio.runsDir, '..', 'adbench-data');
    await mkdir(data, { recursive: true });
    await copyFile(
      join(import.meta.dirname, '..', 'fixtures', 'numpy', 'obvious.npz'),
      join(data, 'obvious.npz'),
    );
    const cells = parseSweep({
      name: 'cells',
      kind: 'anomaly-benchmark',
      benchmark: { data, detectors: ['ecod', 'knn'] },
    });
    await recordSpec(studio.runsDir, cells.spec);
    await runTrial(studio.runsDir, cells.spec, cells.trials[0]);
    const sweep = await (await page.request.get(`${url}/studio/api/sweeps/cells`)).json();
    expect(sweep.search).toEqual({ kind: 'anomaly-benchmark', seeds: [0] });
    expect(sweep.planned).toEqual({});
    expect(sweep.trials.map((t: { id: string; status: string }) => [t.id, t.status])).toEqual([
      ['obvious-ecod-s0', 'done'],
      ['obvious-knn-s0', 'pending'],
    ]);
    expect(sweep.settings[0]).toMatchObject({ params: { dataset: 'obvious', detector: 'ecod' }, done: 1 });
    expect(sweep.trials[0].test).toEqual({ auroc: 1, auprc: 1 });
  });
});
