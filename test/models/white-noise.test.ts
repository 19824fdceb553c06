// White noise for denoising training on audio, applied in the form the model sees: the spectrogram corrupted
// in the power domain should look like the spectrogram of the clip with noise mixed in at that SNR, and a
// waveform should get noise of exactly that power.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { melSpectrogram } from '../../src/data/audio/features.js';
import { audioFeatures, clipFromWav } from '../../src/data/audio/sources.js';
import { type AudioDataSpec, DataSpec } from '../../src/data/spec.js';
import { tf } from '../../src/engine/tf.js';
import { mixNoise } from '../../src/eval/audio.js';
import { corrupt } from '../../src/models/shared/autoencoder-base.js';
import { ROOT } from '../apps/cli-helper.js';
import { useBackend } from '../helpers.js';

beforeAll(() => useBackend());

// FSDD's default features (8 kHz, 1.024 s, 64 bands x 64 frames, -100..0 dB).
const features = audioFeatures(DataSpec.parse({ source: 'fsdd' }) as AudioDataSpec);

async function recording(name: string): Promise<Float32Array> {
  const file = join(ROOT, 'test', 'fixtures', 'fsdd-sample', 'recordings', name);
  return (await clipFromWav(await readFile(file), features, file)).wave;
}

describe('white noise at an SNR (model.noise white:LEVEL)', () => {
  it('corrupts a spectrogram as mixing the noise into the recording would, to within a few dB a cell', async () => {
    const clean = await recording('7_theo_0.wav');
    const image = melSpectrogram(clean, features);
    const x = tf.tensor(image, [1, 64, 64, 1]);
    const noisy = corrupt(x, { type: 'white', level: 5 }, 1, features);
    const corrupted = (await noisy.data()) as Float32Array;
    tf.dispose([x, noisy]);
    const reference = melSpectrogram(mixNoise(clean, 'white', 5, 1), features);
    const range = features.maxDb - features.minDb;
    let sum = 0;
    let meanCorrupted = 0;
    let meanReference = 0;
    for (let i = 0; i < image.length; i++) {
      sum += Math.abs(corrupted[i] - reference[i]) * range;
      meanCorrupted += corrupted[i] * range;
      meanReference += reference[i] * range;
    }
    // The noise floor lands where real mixing puts it (mean level within 1 dB; 0.27 dB measured), and cell by
    // cell within what two draws of noise differ by (3.4 dB measured).
    expect(Math.abs(meanCorrupted - meanReference) / image.length).toBeLessThan(1);
    expect(sum / image.length).toBeLessThan(4.5);
  });

  it('adds noise of the stated power to a waveform', () => {
    const wave = new Float32Array(8192).map((_, i) => 0.3 * Math.sin(i / 5));
    const x = tf.tensor(wave, [1, 8192, 1]);
    const noisy = corrupt(x, { type: 'white', level: 10 }, 3, { ...features, representation: 'waveform' });
    const out = noisy.dataSync();
    tf.dispose([x, noisy]);
    let signal = 0;
    let error = 0;
    for (let i = 0; i < wave.length; i++) {
      signal += wave[i] ** 2;
      error += (out[i] - wave[i]) ** 2;
    }
    expect(10 * Math.log10(signal / error)).toBeCloseTo(10, 0);
  });

  it('is refused without audio features, and other noise keeps its 0-10 level', () => {
    const x = tf.zeros([1, 4, 4, 1]);
    expect(() => corrupt(x, { type: 'white', level: 5 }, 0)).toThrow(
      /white noise \(at an SNR in dB\) is for audio data/,
    );
    x.dispose();
  });
});
