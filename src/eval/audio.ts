// Measures of restored or decoded audio against the clean clip (SNR, log-spectral distance), noise mixed at a
// stated SNR, and the classical denoiser the models are compared with (a Wiener filter on the STFT).
import { z } from 'zod';
import { type AudioFeatures, istft, stft } from '../data/audio/features.js';
import { createRng } from '../data/random.js';
import { DataError, parseOrThrow } from '../errors.js';

/** Signal-to-noise ratio of `estimate` as a copy of `clean`, dB: 10·log10(Σ clean² / Σ (clean − estimate)²). */
export function snrDb(clean: Float32Array, estimate: Float32Array): number {
  checkLengths(clean, estimate);
  let signal = 0;
  let error = 0;
  for (let i = 0; i < clean.length; i++) {
    signal += clean[i] * clean[i];
    const d = clean[i] - estimate[i];
    error += d * d;
  }
  if (signal === 0) throw new DataError('the clean clip is silent: its SNR is undefined', { path: 'clean' });
  return error === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10(signal / error);
}

function checkLengths(clean: Float32Array, other: Float32Array): void {
  if (clean.length !== other.length)
    throw new DataError(
      `expected a clip of ${clean.length} samples like the clean one, got ${other.length}`,
      {
        path: 'estimate',
      },
    );
}

// Power in dB re full scale as melSpectrogram reads it: |X|² / (nFft/4)², the squared peak bin of a full-scale sine
// under the Hann window.
const powerScale = (nFft: number) => 1 / (nFft / 4) ** 2;

function powerDb(wave: Float32Array, f: Pick<AudioFeatures, 'nFft' | 'hop' | 'minDb'>): Float32Array {
  const { re, im } = stft(wave, f.nFft, f.hop);
  const scale = powerScale(f.nFft);
  const floor = 10 ** (f.minDb / 10);
  const db = new Float32Array(re.length);
  for (let i = 0; i < re.length; i++)
    db[i] = 10 * Math.log10(Math.max((re[i] * re[i] + im[i] * im[i]) * scale, floor));
  return db;
}

/**
 * Log-spectral distance, dB, on the STFT of the features (nFft, hop, Hann window, floor minDb re full scale):
 *   LSD = (1/T) Σ_t sqrt( (1/K) Σ_k (P_t,k − P̂_t,k)² ),  P = 10·log10(max(|X|² / (nFft/4)², 10^(minDb/10)))
 * over all T frames and K = nFft/2 + 1 bins: 0 for identical clips; frames silent in both count as 0.
 */
export function logSpectralDistance(
  clean: Float32Array,
  estimate: Float32Array,
  features: Pick<AudioFeatures, 'nFft' | 'hop' | 'minDb'>,
): number {
  checkLengths(clean, estimate);
  const a = powerDb(clean, features);
  const b = powerDb(estimate, features);
  const bins = features.nFft / 2 + 1;
  const frames = a.length / bins;
  if (frames === 0)
    throw new DataError(
      `expected at least one frame (${features.hop} samples), got ${clean.length} samples`,
      {
        path: 'clean',
      },
    );
  let sum = 0;
  for (let t = 0; t < frames; t++) {
    let squares = 0;
    for (let k = 0; k < bins; k++) {
      const d = a[t * bins + k] - b[t * bins + k];
      squares += d * d;
    }
    sum += Math.sqrt(squares / bins);
  }
  return sum / frames;
}

/** Standard normal draws from a seeded generator (Box-Muller). */
export function gaussianNoise(length: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i += 2) {
    const u = 1 - rng(); // (0, 1]: log(u) is finite
    const r = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * rng();
    out[i] = r * Math.cos(angle);
    if (i + 1 < length) out[i + 1] = r * Math.sin(angle);
  }
  return out;
}

/**
 * `clean` plus noise scaled so that the mixture's SNR over the whole clip is exactly `snr` dB: white Gaussian noise
 * (seeded) or another recording (repeated if shorter, cut if longer). The mixture is not clipped, so the SNR holds.
 */
export function mixNoise(
  clean: Float32Array,
  noise: 'white' | Float32Array,
  snr: number,
  seed = 0,
): Float32Array {
  if (!Number.isFinite(snr)) throw new DataError(`expected a finite SNR in dB, got ${snr}`, { path: 'snr' });
  const source = noise === 'white' ? gaussianNoise(clean.length, seed) : noise;
  if (source.length === 0) throw new DataError('the noise recording is empty', { path: 'noise' });
  let signal = 0;
  let power = 0;
  for (let i = 0; i < clean.length; i++) {
    signal += clean[i] * clean[i];
    const n = source[i % source.length];
    power += n * n;
  }
  if (signal === 0) throw new DataError('the clean clip is silent: no SNR can be set', { path: 'clean' });
  if (power === 0)
    throw new DataError('the noise is silent over the clip: nothing to mix', { path: 'noise' });
  const gain = Math.sqrt(signal / (power * 10 ** (snr / 10)));
  const out = new Float32Array(clean.length);
  for (let i = 0; i < clean.length; i++) out[i] = clean[i] + gain * source[i % source.length];
  return out;
}

export const WienerOptions = z.strictObject({
  /**
   * Share of the clip's frames, the quietest by total power, whose mean power spectrum is the noise estimate
   * (FSDD clips are padded with silence, so a noisy clip's quietest frames hold noise only).
   */
  noiseFrames: z.number().gt(0).max(1).default(0.2),
  /** Weight of the previous frame's clean estimate in the decision-directed a priori SNR (Ephraim and Malah). */
  smoothing: z.number().min(0).lt(1).default(0.98),
  /** Lowest gain, dB: keeps a little noise rather than leave "musical" holes. */
  floorDb: z.number().max(0).default(-25),
});
export type WienerOptions = z.output<typeof WienerOptions>;
export type WienerOptionsInput = z.input<typeof WienerOptions>;

/**
 * The classical baseline: a Wiener filter on the noisy STFT (nFft, hop of the features), gain ξ/(1+ξ) per bin with
 * the a priori SNR ξ by the decision-directed rule (Ephraim and Malah 1984), the noise power spectrum estimated
 * from the clip itself (the mean of its quietest frames), the noisy phase kept, back by inverse STFT.
 */
export function wienerDenoise(
  noisy: Float32Array,
  features: Pick<AudioFeatures, 'nFft' | 'hop'>,
  input: WienerOptionsInput = {},
): Float32Array {
  const options = parseOrThrow(WienerOptions, input);
  const { nFft, hop } = features;
  const spectrum = stft(noisy, nFft, hop);
  const { frames, bins, re, im } = spectrum;
  if (frames === 0)
    throw new DataError(`expected at least one frame (${hop} samples), got ${noisy.length} samples`, {
      path: 'noisy',
    });
  const power = new Float32Array(frames * bins);
  const framePower = new Float64Array(frames);
  for (let i = 0; i < power.length; i++) {
    power[i] = re[i] * re[i] + im[i] * im[i];
    framePower[Math.floor(i / bins)] += power[i];
  }
  const quiet = Array.from({ length: frames }, (_, t) => t)
    .sort((a, b) => framePower[a] - framePower[b])
    .slice(0, Math.max(1, Math.round(options.noiseFrames * frames)));
  const noise = new Float64Array(bins);
  for (const t of quiet) for (let k = 0; k < bins; k++) noise[k] += power[t * bins + k] / quiet.length;
  const gMin = 10 ** (options.floorDb / 20);
  const alpha = options.smoothing;
  const previous = new Float64Array(bins); // |Ŝ_{t-1}|² / N: the last frame's clean estimate over the noise
  const outRe = new Float32Array(re.length);
  const outIm = new Float32Array(im.length);
  for (let t = 0; t < frames; t++) {
    for (let k = 0; k < bins; k++) {
      const i = t * bins + k;
      const n = Math.max(noise[k], 1e-20);
      const posterior = power[i] / n; // γ
      const prior = alpha * previous[k] + (1 - alpha) * Math.max(posterior - 1, 0); // ξ
      const gain = Math.max(prior / (1 + prior), gMin);
      previous[k] = gain * gain * posterior;
      outRe[i] = re[i] * gain;
      outIm[i] = im[i] * gain;
    }
  }
  return istft({ frames, bins, re: outRe, im: outIm }, nFft, hop, noisy.length);
}

/** Mean SNR and LSD over clips: each clip's figures first, then the mean, so loud clips weigh no more than quiet. */
export interface AudioQuality {
  snrDb: number;
  lsd: number;
}

export class AudioQualityMeter {
  private snr = 0;
  private lsd = 0;
  private count = 0;

  constructor(private readonly features: Pick<AudioFeatures, 'nFft' | 'hop' | 'minDb'>) {}

  add(clean: Float32Array, estimate: Float32Array): this {
    this.snr += snrDb(clean, estimate);
    this.lsd += logSpectralDistance(clean, estimate, this.features);
    this.count++;
    return this;
  }

  result(): AudioQuality {
    if (this.count === 0) throw new DataError('no clips were scored', { path: 'clips' });
    return { snrDb: this.snr / this.count, lsd: this.lsd / this.count };
  }
}
