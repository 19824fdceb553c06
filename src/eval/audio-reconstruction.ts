// How well an audio autoencoder gives its clips back, measured where people hear it: in the model's own
// features (the log-mel distance of the reconstruction), and as sound (the resynthesised reconstruction against
// the recording by SNR and log-spectral distance), beside what resynthesis alone costs (the recording's own
// spectrogram through the same Griffin-Lim), so the model's share of the loss can be told from the vocoder's.
import { type AudioFeatures, clipFromFeatures, frameCount } from '../data/audio/features.js';
import { type Dataset, head } from '../data/dataset.js';
import { DataError } from '../errors.js';
import type { Autoencoder } from '../models/family.js';
import { type AudioQuality, AudioQualityMeter } from './audio.js';
import { reconstructDataset } from './codes.js';

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
  const shown = head(features, n);
  const outputs = await reconstructDataset(model, shown, {
    batchSize,
    range: f.representation === 'mel' ? [0, 1] : undefined,
  });
  let melLsd = 0;
  for (let i = 0; i < n; i++) {
    const clean = waves.x.subarray(i * f.samples, (i + 1) * f.samples);
    const input = shown.x.subarray(i * per, (i + 1) * per);
    const output = outputs.subarray(i * per, (i + 1) * per);
    heard.add(clean, clipFromFeatures(output, f, { iterations, seed: i }));
    if (resynthesis) {
      melLsd += melLogSpectralDistance(input, output, f);
      resynthesis.add(clean, clipFromFeatures(input, f, { iterations, seed: i }));
    }
  }
  return {
    clips: n,
    ...(resynthesis ? { melLsd: melLsd / n } : {}),
    heard: heard.result(),
    ...(resynthesis ? { resynthesis: resynthesis.result(), griffinLimIterations: iterations } : {}),
  };
}
