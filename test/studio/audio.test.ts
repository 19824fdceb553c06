// The studio on an audio run, in headless chromium: a tiny VAE trained here on the committed FSDD recordings opens
// on the audio view, with test recordings beside their reconstructions, prior samples (resample) and a WAV of your
// own reconstructed, each a spectrogram PNG over an <audio> player whose source is a WAV. The fixture folder is the
// studio's data root (the view plays the run's own recordings back). Screenshot: $STUDIO_AUDIO_SCREENSHOT.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWav } from '../../src/data/audio/wav.js';
import { trainRun } from '../../src/train/run.js';
import { hasChromium, type Studio, startStudio } from './browser.js';

const FIXTURE = 'test/fixtures/fsdd-sample';
const RECORDINGS = `${FIXTURE}/recordings`;

/** The bytes an <audio> element's source serves, fetched by the page itself. */
async function audioSources(page: Page, selector: string): Promise<number[][]> {
  return page.$$eval(selector, async (players) =>
    Promise.all(
      (players as HTMLAudioElement[]).map(async (player) =>
        Array.from(new Uint8Array(await (await fetch(player.src)).arrayBuffer())),
      ),
    ),
  );
}

describe.skipIf(!hasChromium)('studio on audio runs', () => {
  let studio: Studio;

  beforeAll(async () => {
    // The fixture folder is the studio's data root: the view plays the run's own recordings back.
    studio = await startStudio({ dataRoots: [FIXTURE] });
    const trained = await trainRun(
      {
        model: { kind: 'vae', hidden: [128], latent: 8 } as never,
        data: {
          source: 'audio',
          dir: RECORDINGS,
          labelPattern: '^(\\d)_',
          sampleRate: 8000,
          duration: 1.024,
          representation: 'mel',
          mels: 64,
          fMin: 0,
          minDb: -100,
          maxDb: 0,
        } as never,
        train: { epochs: 30, batchSize: 16 },
      },
      join(studio.runsDir, 'speech'),
      { monitor: false },
    );
    trained.model.dispose();
  }, 240_000);
  afterAll(async () => {
    await studio?.close();
  });

  it('links an audio run to its audio view', async () => {
    const { page, url } = studio;
    await page.goto(url);
    const row = page.locator('tr[data-run="speech"]');
    await row.getByRole('link', { name: 'listen' }).click();
    await page.waitForURL(/#\/runs\/speech\/audio$/);
    await page.goto(`${url}/#/runs/speech`);
    await page.getByRole('link', { name: 'Listen: originals, reconstructions and samples' }).click();
    await page.waitForURL(/#\/runs\/speech\/audio$/);
  });

  it('shows spectrograms over players of originals, reconstructions and samples, each serving a WAV', async () => {
    const { page, url } = studio;
    await page.goto(`${url}/#/runs/speech/audio`);
    await page.waitForSelector('.audio-view[data-ready="true"]', { timeout: 60_000 });
    expect(await page.locator('.facts').textContent()).toBe(
      'log-mel 64 bands × 64 frames (FFT 256, hop 128) · 8000 Hz · 1.024 s clips · latent 8 · heard through Griffin-Lim',
    );

    // Six test recordings, different digits first, each beside its reconstruction.
    const pairs = page.getByTestId('audio-reconstructions').locator('.clip-pair');
    expect(await pairs.count()).toBe(6);
    const titles = await pairs.locator('h3').allTextContents();
    expect(new Set(titles.map((t) => t.split(' · ')[0])).size).toBe(6);
    // The file name where the split keeps it, else the clip's place in the test split.
    for (const title of titles) expect(title).toMatch(/^\d · (\d_[a-z]+_0\.wav|test #\d+)$/);
    expect(await pairs.locator('figure.clip').count()).toBe(12);

    const samples = page.getByTestId('audio-samples').locator('figure.clip');
    expect(await samples.count()).toBe(6);

    // Every spectrogram is a PNG the page decoded (128 x 128: 64 bands x 64 frames at 2 pixels a cell).
    const images = await page.$$eval('.audio-view figure.clip img', (imgs) =>
      (imgs as HTMLImageElement[]).map((img) => [img.complete, img.naturalWidth, img.naturalHeight]),
    );
    expect(images).toHaveLength(18);
    for (const image of images) expect(image).toEqual([true, 128, 128]);

    // Every player's source is a WAV of the model's rate and clip length.
    const sources = await audioSources(page, '.audio-view figure.clip audio');
    expect(sources).toHaveLength(18);
    for (const bytes of sources) {
      const wav = readWav(Uint8Array.from(bytes), 'player');
      expect([wav.sampleRate, wav.samples.length]).toEqual([8000, 8192]);
    }
    // The players can play them: chromium read their length.
    const durations = await page.$$eval('.audio-view figure.clip audio', async (players) =>
      Promise.all(
        (players as HTMLAudioElement[]).map(
          (p) =>
            new Promise<number>((resolve) => {
              if (p.readyState >= 1) resolve(p.duration);
              else p.addEventListener('loadedmetadata', () => resolve(p.duration), { once: true });
            }),
        ),
      ),
    );
    for (const d of durations) expect(d).toBeCloseTo(1.024, 2);

    // Resample draws from the next seed: other sounds.
    const before = await audioSources(page, '[data-testid="audio-samples"] audio');
    await page.getByRole('button', { name: 'Resample' }).click();
    await page.waitForSelector('[data-testid="audio-samples"][data-seed="1"]');
    const after = await audioSources(page, '[data-testid="audio-samples"] audio');
    expect(after).toHaveLength(6);
    expect(after[0]).not.toEqual(before[0]);
  });

  it('reconstructs a WAV the user picks, and says what is wrong with a file that is not one', async () => {
    const { page, url } = studio;
    await page.goto(`${url}/#/runs/speech/audio`);
    await page.waitForSelector('.audio-view[data-ready="true"]', { timeout: 60_000 });
    const input = page.locator('input[name="recording"]');
    await input.setInputFiles({
      name: 'mine.wav',
      mimeType: 'audio/wav',
      buffer: await readFile(join(RECORDINGS, '5_nicolas_0.wav')),
    });
    const upload = page.getByTestId('audio-upload');
    await upload.locator('.clip-pair h3', { hasText: 'mine.wav' }).waitFor();
    expect(await upload.locator('figcaption').allTextContents()).toEqual([
      'as heardpadded',
      expect.stringMatching(/^reconstructionerror \d/),
    ]);
    const [original, reconstruction] = await audioSources(page, '[data-testid="audio-upload"] audio');
    expect(Uint8Array.from(original)).toEqual(
      new Uint8Array(await readFile(join(RECORDINGS, '5_nicolas_0.wav'))),
    );
    expect(readWav(Uint8Array.from(reconstruction), 'r').samples.length).toBe(8192);
    if (process.env.STUDIO_AUDIO_SCREENSHOT)
      await page.screenshot({ path: process.env.STUDIO_AUDIO_SCREENSHOT, fullPage: true });

    await input.setInputFiles({
      name: 'notes.wav',
      mimeType: 'audio/wav',
      buffer: Buffer.from('not a recording'),
    });
    const alert = page.locator('.audio-panel [role="alert"]');
    await alert.waitFor();
    expect(await alert.textContent()).toBe(
      'audio[0]: is not a WAV file (expected a RIFF/RIFX/RF64 header with format WAVE)',
    );
  });
});
