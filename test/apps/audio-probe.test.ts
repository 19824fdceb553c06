// embed --probe on audio: the codes beside MFCC → PCA of the same size, on synthetic tones whose answer is known
// (two pitches; two loudnesses read again as other labels of the same rows), and the MFCC rows by hand.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { embedRun, representationQuality } from '../../src/apps/embed.js';
import { modelData } from '../../src/apps/model-data.js';
import { type AudioFeatures, melSpectrogram, mfcc } from '../../src/data/audio/features.js';
import { encodeWav } from '../../src/data/audio/wav.js';
import { type Dataset, head, makeDataset } from '../../src/data/dataset.js';
import { createRng } from '../../src/data/random.js';
import { DataSpec } from '../../src/data/spec.js';
import { ConfigError, DataError } from '../../src/errors.js';
import { fitMfccPcaBaseline, MFCC_COEFFICIENTS, mfccRows } from '../../src/eval/probe.js';
import { loadModel } from '../../src/io/model-files.js';
import type { Autoencoder } from '../../src/models/family.js';
import { trainRun } from '../../src/train/run.js';
import { resolveModelDir } from '../../src/train/run-dir.js';
import { expectClose, useBackend, withTempDir } from '../helpers.js';

beforeAll(async () => {
  await useBackend();
});

const RATE = 8000;
const SAMPLES = 2048; // 0.256 s: 16 frames of hop 128
/** 16 mel bands x 16 frames, FFT 256, the dB range of the data defaults. */
const FEATURES: AudioFeatures = {
  sampleRate: RATE,
  samples: SAMPLES,
  representation: 'mel',
  nFft: 256,
  hop: 128,
  mels: 16,
  fMin: 0,
  fMax: 4000,
  minDb: -100,
  maxDb: 0,
};

/**
 * 80 WAVs `{low|high}_{loud|quiet}_{i}.wav`: a tone at 250-400 Hz or 1500-2200 Hz (random pitch and phase, a
 * little noise), at about -6 dB or -30 dB. Pitch and loudness are drawn independently of each other.
 */
async function writeTones(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const rng = createRng(7);
  for (let i = 0; i < 80; i++) {
    const pitch = i % 2 === 0 ? 'low' : 'high';
    const level = Math.floor(i / 2) % 2 === 0 ? 'loud' : 'quiet';
    const hz = pitch === 'low' ? 250 + 150 * rng() : 1500 + 700 * rng();
    const amplitude = (level === 'loud' ? 0.5 : 0.03) * (0.8 + 0.4 * rng());
    const phase = 2 * Math.PI * rng();
    const wave = Float32Array.from(
      { length: SAMPLES },
      (_, t) => amplitude * Math.sin((2 * Math.PI * hz * t) / RATE + phase) + 0.001 * (rng() - 0.5),
    );
    await writeFile(join(dir, `${pitch}_${level}_${i}.wav`), encodeWav(wave, RATE));
  }
}

const spec = (dir: string, labelPattern: string) =>
  DataSpec.parse({
    source: 'audio',
    dir,
    labelPattern,
    sampleRate: RATE,
    duration: SAMPLES / RATE,
    mels: 16,
  });

describe('MFCC rows', () => {
  it('a flat spectrogram: mean c0 = √mels · its level in dB, the rest 0, every std 0 (by hand)', () => {
    const level = 0.25; // -100 + 0.25 · 100 = -75 dB in every band and frame
    const image = new Float32Array(16 * 16).fill(level);
    const rows = mfccRows({ ...makeDataset('flat', [16, 16, 1], image), audio: FEATURES });
    expect([rows.rows, rows.cols]).toEqual([1, 2 * MFCC_COEFFICIENTS]);
    expect(rows.data[0]).toBeCloseTo(Math.sqrt(16) * -75, 3);
    for (let c = 1; c < 26; c++) expect(Math.abs(rows.data[c])).toBeLessThan(1e-3);
  });

  it('mean and std over the frames of mfcc(); waveforms are made into their spectrograms first', () => {
    const rng = createRng(3);
    const waves = Float32Array.from({ length: 2 * SAMPLES }, () => 0.2 * (rng() - 0.5));
    const images = new Float32Array(2 * 256);
    for (let i = 0; i < 2; i++)
      images.set(melSpectrogram(waves.subarray(i * SAMPLES, (i + 1) * SAMPLES), FEATURES), i * 256);
    const fromWaves = mfccRows({
      ...makeDataset('w', [SAMPLES, 1], waves),
      audio: { ...FEATURES, representation: 'waveform' },
    });
    const fromImages = mfccRows({ ...makeDataset('m', [16, 16, 1], images), audio: FEATURES });
    expectClose(fromWaves.data, fromImages.data, 1e-6);
    // Clip 1, coefficient 2, by hand from the per-frame MFCCs [16 frames, 13].
    const frames = mfcc(images.subarray(256), FEATURES, 13);
    const c2 = Array.from({ length: 16 }, (_, t) => frames[t * 13 + 2]);
    const mean = c2.reduce((a, b) => a + b, 0) / 16;
    const std = Math.sqrt(c2.reduce((a, b) => a + (b - mean) ** 2, 0) / 16);
    expect(fromImages.data[26 + 2]).toBeCloseTo(mean, 4);
    expect(fromImages.data[26 + 13 + 2]).toBeCloseTo(std, 4);
    expect(std).toBeGreaterThan(0);
  });

  it('refuses data that is not audio, and caps PCA at n - 1 components', () => {
    expect(() => mfccRows(makeDataset('pixels', [4], new Float32Array(8)))).toThrow(ConfigError);
    const image = Float32Array.from({ length: 3 * 256 }, (_, i) => (i % 17) / 17);
    const baseline = fitMfccPcaBaseline({ ...makeDataset('m', [16, 16, 1], image), audio: FEATURES }, 8);
    expect(baseline.components).toBe(2);
    expect(baseline.features).toBe('MFCC mean + std (2 x 13 over 16 frames)');
  });
});

describe('embed --probe on synthetic tones', () => {
  it('sets the codes beside MFCC → PCA of the latent size; pitch and, read again, loudness are probed', async () => {
    await withTempDir(async (dir) => {
      const tones = join(dir, 'tones');
      await writeTones(tones);
      const runDir = join(dir, 'ae');
      const trained = await trainRun(
        {
          model: { kind: 'conv-ae', latent: 4, filters: [4, 8] },
          data: spec(tones, '^(low|high)_'),
          train: { epochs: 2, batchSize: 16, previewCount: 0 },
          seed: 1,
        },
        runDir,
        { monitor: false },
      );
      trained.model.dispose();

      const result = await embedRun({ run: runDir, probe: true });
      const q = result.quality;
      if (!q) throw new Error('no probe');
      expect(q.pca.name).toBe('MFCC → PCA-4');
      expect(q.pca.features).toBe('MFCC mean + std (2 x 13 over 16 frames)');
      expect(q.pca.components).toBe(4);
      expect(q.dims).toBe(4);
      expect(q.labelBy).toBeUndefined();
      // 80 clips: 16 in the test split (20%), 6 validation (10% of the rest), 58 for training.
      expect(q.pca.probe.testSamples).toBe(16);
      expect(q.pca.probe.trainSamples).toBe(58);
      // Two pitches three octaves apart: the MFCCs' spectral shape separates them.
      expect(q.pca.probe.accuracy).toBeGreaterThanOrEqual(0.9);
      expect(q.codes.probe.accuracy).toBeGreaterThanOrEqual(0);

      // The same rows read with other labels (the loudness in the name): c0, the level, tells them apart.
      const loaded = await loadModel(resolveModelDir(runDir));
      try {
        const byPitch = await modelData(loaded);
        const byLevel = await modelData(loaded, spec(tones, '^\\w+_(loud|quiet)_'));
        const relabelled = await representationQuality(
          loaded.model as Autoencoder,
          byPitch.train,
          byPitch.test,
          { relabelled: { train: byLevel.train, test: byLevel.test, labels: 'loudness' } },
        );
        expect(relabelled.labelBy).toBe('loudness');
        expect(relabelled.pca.probe.accuracy).toBeGreaterThanOrEqual(0.9);
        // Other rows than the data's are refused: the labels would belong to other clips. By count, and by
        // ids where both carry them.
        const refused = (test: Dataset, relabelledTest: Dataset) =>
          representationQuality(loaded.model as Autoencoder, byPitch.train, test, {
            relabelled: { train: byLevel.train, test: relabelledTest, labels: 'loudness' },
          });
        await expect(refused(byPitch.test, head(byLevel.test, 10))).rejects.toThrow(
          'the relabelled data is not the same rows as the data (10 vs 16 samples)',
        );
        const ids = Array.from({ length: 16 }, (_, i) => `clip-${i}`);
        await expect(
          refused({ ...byPitch.test, ids }, { ...byLevel.test, ids: [...ids].reverse() }),
        ).rejects.toThrow(DataError);
      } finally {
        loaded.model.dispose();
      }

      // labelBy reads FSDD again with speaker labels; other data has no such labels.
      await expect(embedRun({ run: runDir, probe: true, labelBy: 'speaker' })).rejects.toThrow(
        /labelBy \(digit or speaker\) is for fsdd data; this data is audio:/,
      );
    });
  });
});
