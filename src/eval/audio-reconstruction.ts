// How well an audio autoencoder gives its clips back, measured where people hear it: in the model's own
// features (the log-mel distance of the reconstruction), and as sound (the resynthesised reconstruction against
// the recording by SNR and log-spectral distance), beside what resynthesis alone costs (the recording's own
// spectrogram through the same Griffin-Lim), so the model's share of the loss can be told from the vocoder's.
import type { AudioFeatures } from '../data/audio/features.js';
import { clipFromFeatures, frameCount } from '../data/audio/features.js';
import type { Dataset } from '../data/dataset.js';
import { tf } from '../engine/tf.js';
import { DataError } from '../errors.js';
import type { Autoencoder } from '../models/family.js';
import { type AudioQuality, AudioQualityMeter } from './audio.js';

export interface AudioReconstruction {
  clips: number;
  /** Spectrogram models: mean over clips and frames of the RMS over mel bands of the dB difference. */
  melLsd?: number;
  /** The reconstruction as sound against the recording. */
  heard: AudioQuality;
  /** Spectrogram models: the recording's own spectrogram resynthesised against the recording. */
  resynthesis?: AudioQuality;
  griffinLimIterations?: number;
}

/** Mel-domain LSD of two spectrogram images [mels, frames] in [0, 1], dB. */
export function melLogSpectralDistance(a: Float32Array, b: Float32Array, f: AudioFeatures): number {
  const frames = frameCount(f);
  const range = f.maxDb - f.minDb;
  let sum = 0;
  for (let t = 0; t < frames; t++) {
    let squares = 0;
    for (let m = 0; m < f.mels; m++) {
      const d = (a[m * frames + t] - b[m * frames + t]) * range;
      squares += d * d;
    }
    sum += Math.sqrt(squares / f.mels);
  }
  return sum / frames;
}

/**
 * Reconstruction figures of `features` (the model's samples) against `waves` (the same clips as waveforms, row
 * for row), on the first `limit` clips (Griffin-Lim takes ~70 ms a clip).
 */
export async function audioReconstruction(
  model: Autoencoder,
  features: Dataset,
  waves: Dataset,
  f: AudioFeatures,
  {
    limit = 300,
    iterations = 64,
    batchSize = 50,
  }: { limit?: number; iterations?: number; batchSize?: number } = {},
): Promise<AudioReconstruction> {
  const n = Math.min(limit, features.size, waves.size);
  if (n === 0) throw new DataError('no clips to reconstruct', { path: features.name });
  if (waves.sampleShape[0] !== f.samples)
    throw new DataError(`expected clips of ${f.samples} samples, got [${waves.sampleShape}]`, {
      path: waves.name,
    });
  const per = features.sampleShape.reduce((a, b) => a * b, 1);
  const heard = new AudioQualityMeter(f);
  const resynthesis = f.representation === 'mel' ? new AudioQualityMeter(f) : undefined;
  let melLsd = 0;
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const inputs = features.x.subarray(start * per, (start + count) * per);
    const y = tf.tidy(() => {
      const x = tf.tensor(inputs, [count, ...features.sampleShape]);
      const labels = features.labels
        ? tf.tensor1d(features.labels.subarray(start, start + count), 'int32')
        : undefined;
      const out = model.reconstruct(x, model.conditional ? labels : undefined);
      return f.representation === 'mel' ? tf.clipByValue(out, 0, 1) : out;
    });
    const outputs = (await y.data()) as Float32Array;
    y.dispose();
    for (let i = 0; i < count; i++) {
      const clean = waves.x.subarray((start + i) * f.samples, (start + i + 1) * f.samples);
      const input = inputs.subarray(i * per, (i + 1) * per);
      const output = outputs.subarray(i * per, (i + 1) * per);
      heard.add(clean, clipFromFeatures(output, f, { iterations, seed: start + i }));
      if (resynthesis) {
        melLsd += melLogSpectralDistance(input, output, f);
        resynthesis.add(clean, clipFromFeatures(input, f, { iterations, seed: start + i }));
      }
    }
  }
  return {
    clips: n,
    ...(resynthesis ? { melLsd: melLsd / n } : {}),
    heard: heard.result(),
    ...(resynthesis ? { resynthesis: resynthesis.result(), griffinLimIterations: iterations } : {}),
  };
}
