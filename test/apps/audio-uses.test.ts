// Denoise and compress on audio runs: tiny models trained on the committed FSDD fixture recordings, then the app
// functions and the CLI; the report's structure and figures, the examples written, Opus beside the codes, refusals.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AudioCompressReport,
  bitsForBitrate,
  compressAudio,
  OPUS_MISSING,
} from '../../src/apps/compress.js';
import {
  type AudioDenoiseReport,
  denoiseAudio,
  parseAudioNoiseSpec,
  parseNoiseSpec,
} from '../../src/apps/denoise.js';
import { modelAudio } from '../../src/apps/model-data.js';
import type { AudioSplits } from '../../src/data/load.js';
import { logSpectralDistance, snrDb } from '../../src/eval/audio.js';
import { decodeCodeFile, modelId } from '../../src/io/code-file.js';
import { type LoadedModel, loadModel } from '../../src/io/model-files.js';
import type { Autoencoder } from '../../src/models/family.js';
import { trainRun } from '../../src/train/run.js';
import { useBackend } from '../helpers.js';
import { ROOT, runInProcess } from './cli-helper.js';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'fsdd-sample', 'recordings');
const hasOpus = spawnSync('opusenc', ['--version']).status === 0;

let dir: string;
let melRun: string;
let waveRun: string;
let imageRun: string;
let mel: LoadedModel;
let melAudio: AudioSplits;

const finite = (q: { snrDb: number; lsd: number }) => {
  expect(Number.isFinite(q.snrDb)).toBe(true);
  expect(Number.isFinite(q.lsd)).toBe(true);
  expect(q.lsd).toBeGreaterThan(0);
};

beforeAll(async () => {
  await useBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'latentlab-audio-uses-'));
  melRun = join(dir, 'mel');
  waveRun = join(dir, 'wave');
  imageRun = join(dir, 'image');
  const data = { source: 'audio' as const, dir: FIXTURE, labelPattern: '^(\\d)_', sampleRate: 8000 };
  // A small conv AE on the fixture's 64 x 64 log-mel spectrograms.
  await trainRun(
    {
      model: { kind: 'conv-ae', latent: 16, filters: [8, 16] },
      data,
      train: { epochs: 3, batchSize: 16, previewCount: 0 },
    },
    melRun,
    { monitor: false },
  );
  // A small wave-ae on 0.256 s waveforms, trained as a denoiser (Gaussian noise on the waveform is white noise).
  await trainRun(
    {
      model: {
        kind: 'wave-ae',
        filters: [4, 8],
        latent: 8,
        spectralFfts: [128],
        noise: { type: 'gaussian', level: 0.05 },
      },
      data: { ...data, duration: 0.256, representation: 'waveform' },
      train: { epochs: 2, batchSize: 16, previewCount: 0 },
    },
    waveRun,
    { monitor: false },
  );
  await trainRun(
    {
      model: { kind: 'dense-ae', hidden: [16], latent: 4 },
      data: { source: 'mnist' },
      train: { epochs: 1, limit: 200, batchSize: 50, previewCount: 0 },
    },
    imageRun,
    { monitor: false },
  );
  mel = await loadModel(join(melRun, 'model'));
  melAudio = await modelAudio(mel);
}, 240_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('audio noise specs', () => {
  it('reads white and speech noise with an SNR, and refuses the rest naming the flag', () => {
    expect(parseAudioNoiseSpec('white:5')).toEqual({ type: 'white', snrDb: 5 });
    expect(parseAudioNoiseSpec('speech:-3')).toEqual({ type: 'speech', snrDb: -3 });
    expect(parseAudioNoiseSpec('white')).toEqual({ type: 'white', snrDb: 5 });
    for (const bad of ['pink:5', 'white:', 'white:loud', 'white:5:1', 'speech:90']) {
      expect(() => parseAudioNoiseSpec(bad)).toThrow(
        `--noise: expected white or speech with an SNR in dB between -30 and 60, e.g. white:5 or speech:5, for a run trained on audio; got "${bad}"`,
      );
    }
    expect(() => parseAudioNoiseSpec('gaussian:0.3')).toThrow('(that is pixel noise, for image runs)');
    expect(() => parseNoiseSpec('white:5')).toThrow(
      '--noise: "white:5" is noise for audio (white or speech with an SNR in dB), and this run was not trained on audio',
    );
  });
});

describe('denoise on an audio run', () => {
  it('scores the noisy input, the model and the Wiener filter, with the gains as their differences', async () => {
    const model = mel.model as Autoencoder;
    const waves = melAudio.waves.test;
    const features = mel.manifest.audio;
    if (!features) throw new Error('the run saved no audio features');
    const { report, preview } = await denoiseAudio(model, waves, features, {
      noise: { type: 'white', snrDb: 5 },
      seed: 2,
      batchSize: 5,
      preview: 2,
    });
    expect(report.clips).toBe(waves.size);
    expect(report.representation).toBe('mel');
    expect(report.restore).toBe('mask');
    expect(report.phaseIterations).toBeUndefined();
    // Noise is mixed at exactly the SNR asked for, clip by clip.
    expect(report.noisy.snrDb).toBeCloseTo(5, 4);
    for (const q of [report.noisy, report.model, report.wiener]) finite(q);
    expect(report.gain.model).toBeCloseTo(report.model.snrDb - report.noisy.snrDb, 10);
    expect(report.gain.wiener).toBeCloseTo(report.wiener.snrDb - report.noisy.snrDb, 10);
    expect(report.gain.modelOverWiener).toBeCloseTo(report.model.snrDb - report.wiener.snrDb, 10);
    // Real speech with silence around it: the Wiener filter gains several dB.
    expect(report.gain.wiener).toBeGreaterThan(3);
    // The preview holds the very clips scored: recomputing clip 0's figures from them agrees with a fresh mix.
    expect(preview.clean).toHaveLength(2);
    expect(snrDb(preview.clean[0], preview.noisy[0])).toBeCloseTo(5, 4);
    expect(logSpectralDistance(preview.clean[0], preview.wiener[0], features)).toBeLessThan(
      logSpectralDistance(preview.clean[0], preview.noisy[0], features),
    );
  });

  it('mixes in another speaker for speech noise', async () => {
    const features = mel.manifest.audio;
    if (!features) throw new Error('the run saved no audio features');
    const { report } = await denoiseAudio(mel.model as Autoencoder, melAudio.waves.test, features, {
      noise: { type: 'speech', snrDb: 5 },
      preview: 0,
      lsdFloorDb: -60,
    });
    expect(report.lsdFloorDb).toBe(-60);
    // The fixture's file names say who speaks ({digit}_{speaker}_0.wav), so the other clip is another speaker's.
    expect(report.speechFrom).toBe('another speaker');
    expect(report.noisy.snrDb).toBeCloseTo(5, 4);
    finite(report.model);
  });

  it('runs from the CLI with examples, and a waveform run reconstructs the waveform', async () => {
    const out = join(dir, 'denoised');
    const { code, stdout, stderr } = await runInProcess([
      'denoise',
      melRun,
      '--noise',
      'white:5',
      '--out',
      out,
      '--n',
      '2',
      '--json',
    ]);
    expect(stderr).not.toContain('error');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as AudioDenoiseReport & { grid: string };
    expect(report.noise).toEqual({ type: 'white', snrDb: 5 });
    expect(report.lsdFloorDb).toBe(-100);
    finite(report.model);
    const files = await readdir(out);
    for (const kind of ['clean', 'noisy', 'model', 'wiener'])
      for (const ext of ['wav', 'png']) expect(files).toContain(`${kind}-001.${ext}`);
    expect(existsSync(join(out, 'grid.png'))).toBe(true);

    const text = await runInProcess(['denoise', waveRun, '--noise', 'white:10', '--limit', '4']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('4 clips, white noise at 10 dB SNR (seed 0); model: waveform → model');
    expect(text.stdout).toMatch(/Wiener filter\s+-?\d+\.\d\d\s+\d+\.\d\d\s+[+-]\d+\.\d\d/);
  });

  it('refuses malformed noise, pixel noise on audio and audio noise on an image run, naming --noise', async () => {
    const bad = await runInProcess(['denoise', melRun, '--noise', 'white:loud']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--noise: expected white or speech with an SNR in dB');
    const pixel = await runInProcess(['denoise', melRun, '--noise', 'gaussian:0.3']);
    expect(pixel.stderr).toContain('(that is pixel noise, for image runs)');
    const image = await runInProcess(['denoise', imageRun, '--noise', 'white:5', '--limit', '8']);
    expect(image.code).not.toBe(0);
    expect(image.stderr).toContain(
      '--noise: "white:5" is noise for audio (white or speech with an SNR in dB), and this run was not trained on audio',
    );
    const images = await runInProcess(['denoise', melRun, '--images', dir]);
    expect(images.stderr).toContain('--images: reads images, and this run was trained on audio');
  });
});

describe('compress on an audio run', () => {
  it('chooses the most bits that meet a bitrate and refuses one the latent cannot meet', () => {
    // 16-D codes of 1.024 s clips: b bits take 16 b / 1.024 bits per second.
    expect(bitsForBitrate(0.1, 16, 1.024)).toBe(6); // 93.75 bps
    expect(bitsForBitrate(0.125, 16, 1.024)).toBe(8); // exactly 125 bps
    expect(bitsForBitrate(64, 16, 1.024)).toBe(16);
    expect(() => bitsForBitrate(0.01, 16, 1.024)).toThrow(
      '--kbps: 0.01 kbps is below what 16-D codes can carry: at 1 to 16 bits per dimension they take 0.016 to 0.250 kbps for 1.024 s clips',
    );
  });

  it('writes a code file of the stated bitrate and scores the clips beside Opus', async () => {
    const model = mel.model as Autoencoder;
    const features = mel.manifest.audio;
    if (!features) throw new Error('the run saved no audio features');
    const id = await modelId(join(melRun, 'model'));
    const { bytes, report, preview } = await compressAudio(
      model,
      id,
      melAudio.splits.test,
      melAudio.waves.test,
      features,
      { kbps: 0.1, iterations: 8, preview: 1 },
    );
    expect(report.bits).toBe(6);
    expect(report.lsdFloorDb).toBe(features.minDb);
    expect(report.kbps).toBeCloseTo((16 * 6) / 1.024 / 1000, 10);
    expect(report.kbps).toBeLessThanOrEqual(0.1);
    const file = decodeCodeFile(bytes, 'codes.llz');
    expect(file.bits).toBe(6);
    expect(file.count).toBe(melAudio.splits.test.size);
    expect(report.file.bytes).toBe(bytes.length);
    expect(report.file.kbps).toBeCloseTo((bytes.length * 8) / (report.clips * 1.024) / 1000, 10);
    for (const q of [report.quality, report.unquantised, report.resynthesis])
      finite(q as AudioCompressReport['quality']);
    expect(preview.decoded).toHaveLength(1);
    if (hasOpus) {
      if (!report.opus || 'missing' in report.opus) throw new Error('expected an Opus row');
      expect(report.opus.kbps).toBe(6);
      expect(report.opus.bytes).toBeGreaterThan(0);
      // Hard CBR at 6 kbps plus the Ogg pages and headers: a little above 6 over a dozen seconds.
      expect(report.opus.actualKbps).toBeGreaterThan(5);
      expect(report.opus.actualKbps).toBeLessThan(12);
      finite(report.opus.quality);
      expect(preview.opus?.[0]).toHaveLength(features.samples);
    }
  });

  it('says Opus is not installed when opusenc is not on the PATH', async () => {
    const features = mel.manifest.audio;
    if (!features) throw new Error('the run saved no audio features');
    const path = process.env.PATH;
    process.env.PATH = join(dir, 'no-such-bin');
    try {
      const { report } = await compressAudio(
        mel.model as Autoencoder,
        'a'.repeat(32),
        melAudio.splits.test,
        melAudio.waves.test,
        features,
        { bits: 4, iterations: 0 },
      );
      expect(report.opus).toEqual({ missing: OPUS_MISSING });
      expect(OPUS_MISSING).toBe('Opus: not installed (apt-get install opus-tools)');
    } finally {
      process.env.PATH = path;
    }
  });

  it('runs from the CLI with examples and refuses a bitrate the latent cannot meet', async () => {
    const out = join(dir, 'codes.llz');
    const examples = join(dir, 'compress-examples');
    const run = await runInProcess([
      'compress',
      melRun,
      '--kbps',
      '0.2',
      '--iterations',
      '4',
      '--out',
      out,
      '--examples',
      examples,
      '--n',
      '2',
    ]);
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('16-D codes at 12 bits per dimension (asked for at most 0.2 kbps)');
    expect(run.stdout).toMatch(/latentlab \(12 bits\)\s+0\.188/);
    if (hasOpus) expect(run.stdout).toMatch(/Opus 6 kbps \(hard CBR\)\s+\d+\.\d{3}/);
    expect(existsSync(out)).toBe(true);
    const files = await readdir(examples);
    expect(files).toContain('original-001.wav');
    expect(files).toContain('latentlab-001.png');
    expect(files).toContain('grid.png');
    if (hasOpus) expect(files).toContain('opus-000.wav');

    const low = await runInProcess(['compress', melRun, '--kbps', '0.01', '--out', out]);
    expect(low.code).not.toBe(0);
    expect(low.stderr).toContain('--kbps: 0.01 kbps is below what 16-D codes can carry');
    const both = await runInProcess(['compress', melRun, '--kbps', '1', '--bits', '4', '--out', out]);
    expect(both.stderr).toContain('--kbps: give --kbps or --bits, not both');
    const image = await runInProcess(['compress', imageRun, '--kbps', '1', '--out', out]);
    expect(image.stderr).toContain('--kbps: is for audio runs, and this run was not trained on audio');
  });

  it('compresses a waveform run, decoded in [-1, 1]', async () => {
    const loaded = await loadModel(join(waveRun, 'model'));
    const audio = await modelAudio(loaded);
    const features = loaded.manifest.audio;
    if (!features) throw new Error('the run saved no audio features');
    const { report } = await compressAudio(
      loaded.model as Autoencoder,
      'a'.repeat(32),
      audio.splits.test,
      audio.waves.test,
      features,
      { bits: 8, opusKbps: 0 },
    );
    expect(report.representation).toBe('waveform');
    expect(report.resynthesis).toBeUndefined();
    expect(report.opus).toBeUndefined();
    expect(report.kbps).toBeCloseTo((8 * 8) / 0.256 / 1000, 10);
    finite(report.quality);
  });
});
