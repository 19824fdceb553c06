// The waveform autoencoder (wave-ae): its networks' shapes, what it refuses and why, the spectral loss against
// tfjs's own STFT, learning decaying tones well above the SNR of silence, and its saved networks in stock tfjs.
// Build reproducibility, leaks, save/load and the loss falling on a tiny case are the contract suite's.
import FFT from 'fft.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/random.js';
import { tf } from '../../src/engine/tf.js';
import { ConfigError } from '../../src/errors.js';
import type { Autoencoder, BuildContext } from '../../src/models/family.js';
import { parseModelConfig } from '../../src/models/registry.js';
import {
  logPowerSpectrogram,
  POWER_FLOOR,
  spectralFrames,
  spectralLoss,
} from '../../src/models/wave-ae/losses.js';
import { TrainConfig } from '../../src/train/config.js';
import { createOptimizers } from '../../src/train/trainer.js';
import { expectClose, expectStockAutoencoder, useBackend, withTempDir } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const RATE = 8000;

function build(raw: Record<string, unknown>, context: BuildContext): Autoencoder {
  const { family, config } = parseModelConfig({ kind: 'wave-ae', ...raw });
  return family.build(config, context) as Autoencoder;
}

/**
 * n clips of `samples` at 8 kHz: a sine of 100 to 1000 Hz, random phase and amplitude (0.3 to 0.9), with an
 * exponential decay of 2 to 12 per second. [n, samples, 1], seeded.
 */
function tones(n: number, samples: number, seed: number): tf.Tensor3D {
  const rng = createRng(seed);
  const x = new Float32Array(n * samples);
  for (let i = 0; i < n; i++) {
    const [hz, phase, decay, amplitude] = [
      100 + 900 * rng(),
      2 * Math.PI * rng(),
      2 + 10 * rng(),
      0.3 + 0.6 * rng(),
    ];
    for (let t = 0; t < samples; t++)
      x[i * samples + t] =
        amplitude * Math.exp((-decay * t) / RATE) * Math.sin((2 * Math.PI * hz * t) / RATE + phase);
  }
  return tf.tensor3d(x, [n, samples, 1]);
}

/** Signal-to-noise ratio of a reconstruction, dB: 10 log10(Σx² / Σ(x - x̂)²); predicting zeros scores 0. */
function snr(x: tf.Tensor, recon: tf.Tensor): number {
  return tf.tidy(() => {
    const signal = tf.sum(tf.square(x)).dataSync()[0];
    const noise = tf.sum(tf.squaredDifference(x, recon)).dataSync()[0];
    return 10 * Math.log10(signal / noise);
  });
}

describe('wave-ae networks', () => {
  it('encodes one second at 8 kHz (8192 samples) to a 64-wide code and decodes it back to [-1, 1]', () => {
    const model = build({}, { sampleShape: [8192, 1], seed: 1 });
    const x = tones(3, 8192, 1);
    const z = model.encode(x);
    const recon = model.decode(z);
    expect(z.shape).toEqual([3, 64]);
    expect(recon.shape).toEqual([3, 8192, 1]);
    const values = recon.dataSync();
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(1);
    // Four stride-4 convolutions: 8192 → 2048 → 512 → 128 → 32 samples of 16, 32, 64, 64 channels; the
    // decoder's transposed convolutions mirror them on [length, 1, channels] maps.
    const { encoder, decoder } = model.networks;
    const shapes = (network: typeof encoder, type: string) =>
      network.layers.filter((l) => l.getClassName() === type).map((l) => l.outputShape);
    expect(shapes(encoder, 'Conv1D')).toEqual([
      [null, 2048, 16],
      [null, 512, 32],
      [null, 128, 64],
      [null, 32, 64],
    ]);
    expect(shapes(decoder, 'Conv2DTranspose')).toEqual([
      [null, 128, 1, 64],
      [null, 512, 1, 32],
      [null, 2048, 1, 16],
      [null, 8192, 1, 1],
    ]);
    expect(model.networkRoles?.().decoder.outputs[0]).toContain('[-1, 1] (tanh applied)');
    tf.dispose([x, z, recon]);
    model.dispose();
  });

  it('other strides and kernel sizes give back exactly the input length', () => {
    const model = build(
      { filters: [4, 8], stride: 8, kernelSize: 15, latent: 5 },
      { sampleShape: [640, 1], seed: 2 },
    );
    const x = tones(2, 640, 2);
    const recon = model.reconstruct(x);
    expect(recon.shape).toEqual([2, 640, 1]);
    expect(model.encode(x).shape).toEqual([2, 5]);
    tf.dispose([x, recon]);
    model.dispose();
  });
});

describe('wave-ae refuses what it cannot model', () => {
  const refusal = (raw: Record<string, unknown>, context: BuildContext) => {
    try {
      build(raw, context).dispose();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return { message: (error as ConfigError).message, path: (error as ConfigError).path };
    }
    throw new Error('expected a refusal');
  };

  it.each([
    [
      'mel spectrograms (images)',
      { sampleShape: [64, 64, 1], seed: 1 },
      'this data is images [64, 64, 1] (a mel spectrogram is an image: use an image family such as conv-ae, or --representation waveform)',
    ],
    ['table rows', { sampleShape: [13], seed: 1 }, 'this data is table rows of 13 values'],
    ['text', { sampleShape: [40], vocabularySize: 100, seed: 1 }, 'this data is text (token ids [40])'],
    ['stereo', { sampleShape: [8192, 2], seed: 1 }, 'this data is samples of shape [8192, 2]'],
  ])('%s, naming what it needs', (_, context, says) => {
    const { message, path } = refusal({}, context);
    expect(path).toBe('model.kind');
    expect(message).toBe(
      `model.kind: wave-ae needs waveforms [samples, 1] in [-1, 1] (audio read with --representation waveform); ${says}`,
    );
  });

  it('a clip length the encoder cannot divide, naming the numbers', () => {
    const { message, path } = refusal({}, { sampleShape: [8000, 1], seed: 1 });
    expect(path).toBe('model.filters');
    expect(message).toBe(
      "model.filters: 8000 samples is not divisible by the encoder's total stride 256 (stride 4 over 4 convolutions): choose a duration that is, or fewer filters",
    );
  });

  it('a spectral FFT longer than a clip, and an FFT size that is no power of two', () => {
    const long = refusal(
      { filters: [4], spectralWeight: 1, spectralFfts: [64, 512] },
      { sampleShape: [256, 1], seed: 1 },
    );
    expect(long.path).toBe('model.spectralFfts');
    expect(long.message).toContain('a spectral FFT of 512 samples is longer than a clip of 256 samples');
    // Unweighted, the FFT sizes are never used and so not checked against the clip.
    build(
      { filters: [4], spectralWeight: 0, spectralFfts: [512] },
      { sampleShape: [256, 1], seed: 1 },
    ).dispose();
    expect(() => parseModelConfig({ kind: 'wave-ae', spectralFfts: [100] })).toThrow(
      /model\.spectralFfts\.0: expected a power of two/,
    );
  });
});

describe('the spectral loss', () => {
  it('log power spectra match an FFT by fft.js frame by frame (Hann window, hop nFft / 4, no padding)', () => {
    const x = tones(2, 1024, 3);
    const values = x.dataSync();
    for (const nFft of [64, 256]) {
      const ours = logPowerSpectrogram(x, nFft);
      const frames = spectralFrames(1024, nFft);
      const bins = nFft / 2 + 1;
      expect(ours.shape).toEqual([2, frames, bins]);
      const fft = new FFT(nFft);
      const spectrum = fft.createComplexArray() as number[];
      const reference = new Float32Array(2 * frames * bins);
      for (let clip = 0; clip < 2; clip++)
        for (let f = 0; f < frames; f++) {
          const frame = Array.from({ length: nFft }, (_, t) => {
            const hann = 0.5 - 0.5 * Math.cos((2 * Math.PI * t) / nFft);
            return hann * values[clip * 1024 + (f * nFft) / 4 + t];
          });
          fft.realTransform(spectrum, frame);
          for (let k = 0; k < bins; k++) {
            const power = spectrum[2 * k] ** 2 + spectrum[2 * k + 1] ** 2;
            reference[(clip * frames + f) * bins + k] = Math.log(power + POWER_FLOOR);
          }
        }
      expectClose(ours.dataSync(), reference, 1e-3);
      ours.dispose();
    }
    x.dispose();
  });

  it('is the mean over resolutions of the mean |difference| of log power spectra; zero for the same waves', () => {
    const a = tones(2, 512, 4);
    const b = tones(2, 512, 5);
    const ffts = [64, 128];
    const hand = ffts
      .map((nFft) =>
        tf.tidy(
          () =>
            tf.mean(tf.abs(tf.sub(logPowerSpectrogram(a, nFft), logPowerSpectrogram(b, nFft)))).dataSync()[0],
        ),
      )
      .reduce((sum, v) => sum + v / ffts.length, 0);
    const loss = spectralLoss(a, b, ffts);
    expect(loss.dataSync()[0]).toBeCloseTo(hand, 5);
    expect(hand).toBeGreaterThan(0.5);
    const same = spectralLoss(a, a, ffts);
    expect(same.dataSync()[0]).toBe(0);
    tf.dispose([a, b, loss, same]);
  });

  it('adds to the waveform MSE with its weight, both reported', () => {
    const context = { sampleShape: [512, 1], seed: 6 };
    const model = build(
      { filters: [4, 8], latent: 4, spectralWeight: 0.25, spectralFfts: [64, 128] },
      context,
    );
    const x = tones(3, 512, 6);
    const record = model.evaluate({ x, step: 0 });
    const recon = model.reconstruct(x);
    const mse = tf.tidy(() => tf.mean(tf.squaredDifference(x, recon)).dataSync()[0]);
    const spectral = spectralLoss(x, recon, [64, 128]);
    expect(record.mse.dataSync()[0]).toBeCloseTo(mse, 6);
    expect(record.spectral.dataSync()[0]).toBeCloseTo(spectral.dataSync()[0], 4);
    expect(record.loss.dataSync()[0]).toBeCloseTo(mse + 0.25 * spectral.dataSync()[0], 4);
    tf.dispose([x, recon, spectral, ...Object.values(record)]);
    model.dispose();
  });
});

describe('wave-ae learns', () => {
  it('reconstructs decaying tones well above the SNR of silence, memory flat across epochs', async () => {
    // 256 clips of 1024 samples (128 ms); three stride-4 stages leave a 16 x 64 map before the code.
    const n = 256;
    const x = tones(n, 1024, 7);
    // The waveform MSE alone: what the SNR measures.
    const model = build({ filters: [16, 32, 64], spectralWeight: 0 }, { sampleShape: [1024, 1], seed: 7 });
    const optimizers = createOptimizers(model, TrainConfig.parse({ optimizer: { learningRate: 3e-3 } }));
    const before = snr(
      x,
      tf.tidy(() => model.reconstruct(x)),
    );
    const epochLosses: number[] = [];
    const liveTensors: number[] = [];
    let step = 0;
    for (let epoch = 1; epoch <= 18; epoch++) {
      let sum = 0;
      for (let start = 0; start < n; start += 32) {
        const batch = tf.slice(x, [start, 0, 0], [32, 1024, 1]);
        const record = model.trainStep({ x: batch, step: step++, epoch }, optimizers);
        sum += record.loss.dataSync()[0];
        tf.dispose([batch, ...Object.values(record)]);
      }
      epochLosses.push(sum / (n / 32));
      liveTensors.push(tf.memory().numTensors);
      // Let the test runner's messages through between epochs on a busy machine.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const recon = model.reconstruct(x);
    const after = snr(x, recon);
    // An untrained decoder gives about silence (0 dB); 18 epochs reach about 8 dB.
    expect(Math.abs(before)).toBeLessThan(0.5);
    expect(after).toBeGreaterThan(4);
    expect(epochLosses[epochLosses.length - 1]).toBeLessThan(0.6 * epochLosses[0]);
    // Adam's moments appear in the first step; from then on every epoch ends with the same tensors alive.
    expect(new Set(liveTensors).size).toBe(1);
    tf.dispose([x, recon]);
    for (const o of Object.values(optimizers)) o.dispose();
    model.dispose();
  });
});

describe('wave-ae saved', () => {
  it('the saved encoder gives the codes and the decoder, fed them, the reconstructions (stock tfjs)', async () => {
    await withTempDir(async (dir) => {
      const model = build({ filters: [8, 16], latent: 8 }, { sampleShape: [1024, 1], seed: 8 });
      const x = tones(4, 1024, 8);
      await expectStockAutoencoder(model, x, dir);
      tf.dispose(x);
      model.dispose();
    });
  });
});
