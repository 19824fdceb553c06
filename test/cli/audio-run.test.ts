// An audio run through the CLI, end to end, on the 60 committed FSDD test recordings: train a small conv
// autoencoder on their log-mel spectrograms, then sample, reconstruct, decode and interpolate write a grid of
// spectrograms and, beside it, every clip as a WAV (at the run's rate and length) with its own spectrogram PNG.
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWav } from '../../src/data/audio/wav.js';
import { DataSpec } from '../../src/data/spec.js';
import { isPng, pngSize } from '../../src/io/png.js';
import { modelDefaultsForData } from '../../src/models/registry.js';
import { ROOT, runInProcess } from '../apps/cli-helper.js';
import { withTempDir } from '../helpers.js';

const RECORDINGS = join(ROOT, 'test', 'fixtures', 'fsdd-sample', 'recordings');

/** The WAVs in `dir`, each checked to be one clip of 8,192 samples at 8 kHz, and the PNGs beside them. */
async function clipsIn(dir: string, prefix: string): Promise<number> {
  const files = (await readdir(dir)).filter((f) => f.startsWith(`${prefix}-`));
  const wavs = files.filter((f) => f.endsWith('.wav'));
  for (const wav of wavs) {
    const audio = readWav(await readFile(join(dir, wav)), wav);
    expect(audio.sampleRate).toBe(8000);
    expect(audio.samples.length).toBe(8192);
    const png = await readFile(join(dir, wav.replace(/\.wav$/, '.png')));
    expect(isPng(png)).toBe(true);
    // 64 frames x 64 bands, 4 pixels a cell.
    expect(pngSize(png)).toEqual({ width: 256, height: 256 });
  }
  return wavs.length;
}

describe('latentlab on audio', () => {
  it('trains a conv-ae on spectrograms; sample, reconstruct, decode and interpolate write WAVs and spectrograms', async () => {
    await withTempDir(async (dir) => {
      const run = join(dir, 'run');
      const trained = await runInProcess([
        'train',
        '--model',
        'conv-ae',
        '--data',
        `audio:${RECORDINGS}`,
        '--label-pattern',
        '^(\\d)_',
        '--sample-rate',
        '8000',
        '--latent',
        '8',
        '--epochs',
        '2',
        '--batch-size',
        '16',
        '--out',
        run,
      ]);
      expect(trained.code, trained.stderr).toBe(0);
      // The load report: every recording is shorter than 1.024 s here except the few FSDD cut.
      expect(trained.stderr).toMatch(/data: 60 recordings as 1\.024 s clips at 8000 Hz; \d+ cut to 1\.024 s/);
      const manifest = JSON.parse(await readFile(join(run, 'model', 'manifest.json'), 'utf8'));
      expect(manifest.audio).toMatchObject({
        sampleRate: 8000,
        samples: 8192,
        representation: 'mel',
        mels: 64,
      });
      expect(manifest.context.sampleShape).toEqual([64, 64, 1]);

      const sampled = await runInProcess(['sample', run, '--n', '4']);
      expect(sampled.code, sampled.stderr).toBe(0);
      expect(sampled.stdout).toContain('WAV and PNG per sample');
      expect(isPng(await readFile(join(run, 'samples.png')))).toBe(true);
      expect(await clipsIn(join(run, 'samples'), 'sample')).toBe(4);

      const rebuilt = await runInProcess(['reconstruct', run, '--n', '3']);
      expect(rebuilt.code, rebuilt.stderr).toBe(0);
      expect(rebuilt.stdout).toMatch(/reconstruction MSE per value \d/);
      expect(await clipsIn(join(run, 'reconstructions'), 'original')).toBe(3);
      expect(await clipsIn(join(run, 'reconstructions'), 'reconstruction')).toBe(3);
      // Originals are resynthesised from their spectrograms by the same Griffin-Lim as the reconstructions, so
      // the two are heard alike; the grid has 2 rows of 3 spectrograms.
      expect(pngSize(await readFile(join(run, 'reconstructions.png')))?.width).toBeGreaterThan(3 * 64 * 2);

      const codes = join(dir, 'codes.csv');
      await writeFile(codes, 'z0,z1,z2,z3,z4,z5,z6,z7\n0,0,0,0,0,0,0,0\n1,-1,0.5,0,0,0,0,0\n');
      const decoded = await runInProcess([
        'decode',
        run,
        '--codes',
        codes,
        '--out',
        join(dir, 'decoded.png'),
      ]);
      expect(decoded.code, decoded.stderr).toBe(0);
      expect(await clipsIn(join(dir, 'decoded'), 'decoded')).toBe(2);

      const path = await runInProcess(['interpolate', run, '--from', '0', '--to', '1', '--steps', '5']);
      expect(path.code, path.stderr).toBe(0);
      expect(await clipsIn(join(run, 'interpolation'), 'step')).toBe(5);
      expect(existsSync(join(run, 'interpolation.png'))).toBe(true);

      const evaluated = await runInProcess(['evaluate', run, '--json']);
      expect(evaluated.code, evaluated.stderr).toBe(0);
      const audio = JSON.parse(evaluated.stdout).audio;
      // 12 test clips (20% of 60): the model's log-mel distance, its sound, and what Griffin-Lim alone costs.
      expect(audio.clips).toBe(12);
      expect(audio.melLsd).toBeGreaterThan(0);
      for (const q of [audio.heard, audio.resynthesis]) {
        expect(Number.isFinite(q.snrDb) && Number.isFinite(q.lsd)).toBe(true);
        expect(q.lsd).toBeGreaterThan(0);
      }
      // The recordings' own spectrograms come back closer to the recordings than an 8-number code's do.
      expect(audio.resynthesis.lsd).toBeLessThan(audio.heard.lsd);

      // compress → decompress gives sound back: a folder of WAVs (or a grid beside one).
      const llz = join(dir, 'codes.llz');
      const compressed = await runInProcess([
        'compress',
        run,
        '--bits',
        '8',
        '--opus-kbps',
        '0',
        '--out',
        llz,
      ]);
      expect(compressed.code, compressed.stderr).toBe(0);
      const back = await runInProcess(['decompress', llz, '--run', run, '--out', join(dir, 'back')]);
      expect(back.code, back.stderr).toBe(0);
      expect(back.stdout).toContain('12 clips');
      expect(await clipsIn(join(dir, 'back'), 'clip')).toBe(12);
      const grid = await runInProcess(['decompress', llz, '--run', run, '--out', join(dir, 'grid.png')]);
      expect(grid.code, grid.stderr).toBe(0);
      expect(isPng(await readFile(join(dir, 'grid.png')))).toBe(true);
      expect(await clipsIn(join(dir, 'grid'), 'clip')).toBe(12);
    });
  }, 240_000);
});

describe('model defaults on audio', () => {
  it('gives attention-ae the largest patch up to 8 that tiles the spectrogram (its default 7 is for 28x28)', () => {
    const fsdd = DataSpec.parse({ source: 'fsdd' });
    expect(modelDefaultsForData({ kind: 'attention-ae' }, fsdd).patchSize).toBe(8);
    // 40 mel bands x 50 frames (1 s at 8 kHz, hop 160): 5 tiles both.
    const odd = DataSpec.parse({ source: 'fsdd', mels: 40, duration: 1, hop: 160 });
    expect(modelDefaultsForData({ kind: 'attention-ae' }, odd).patchSize).toBe(5);
    expect(modelDefaultsForData({ kind: 'attention-ae', patchSize: 4 }, fsdd).patchSize).toBe(4);
  });
});
