// What an audio model sees: a clip of fixed length at one sample rate, as a log-mel spectrogram laid out like a
// grey image (so every image family trains on it unchanged) or as the raw waveform (the 1-D families). The
// settings are saved with the model, so audio given later is turned into the same features and back.
//
// Hand-written here (on fft.js for the FFTs): the short-time Fourier transform, the mel filterbank and
// Griffin-Lim. They are a few dozen lines each, their exact framing must match between analysis and
// resynthesis, and no well-kept npm package offers all three with an inverse.
import FFT from 'fft.js';
import { z } from 'zod';
import { DataError } from '../../errors.js';

const powerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0;

export const AudioFeatures = z
  .strictObject({
    sampleRate: z.number().int().min(1000).max(192_000).describe('Samples per second of every clip'),
    samples: z
      .number()
      .int()
      .min(16, 'expected at least 16 samples')
      .max(10_000_000, 'expected at most 10,000,000 samples')
      .describe('Samples per clip (duration × sample rate)'),
    representation: z
      .enum(['mel', 'waveform'])
      .describe(
        'mel: log-mel spectrogram as a [mels, frames, 1] image in [0, 1]; waveform: [samples, 1] in [-1, 1]',
      ),
    nFft: z
      .number()
      .int()
      .refine(powerOfTwo, 'expected a power of two')
      .describe('FFT size in samples (a power of two); the Hann window is this long'),
    hop: z.number().int().positive().describe('Samples between the starts of two frames'),
    mels: z.number().int().min(2).max(512).describe('Mel bands (rows of the spectrogram image)'),
    fMin: z.number().min(0).describe('Lowest frequency of the mel filterbank, Hz'),
    fMax: z
      .number()
      .positive()
      .describe('Highest frequency of the mel filterbank, Hz (at most half the sample rate)'),
    minDb: z.number().describe('Level (dB re full scale) shown as 0: anything quieter is clamped to it'),
    maxDb: z.number().describe('Level (dB re full scale) shown as 1: anything louder is clamped to it'),
  })
  .superRefine((f, ctx) => {
    if (f.fMax > f.sampleRate / 2 + 1e-9)
      ctx.addIssue({
        code: 'custom',
        path: ['fMax'],
        message: `expected at most half the sample rate (${f.sampleRate / 2} Hz)`,
      });
    if (f.fMin >= f.fMax)
      ctx.addIssue({ code: 'custom', path: ['fMin'], message: `expected below fMax (${f.fMax} Hz)` });
    if (f.minDb >= f.maxDb)
      ctx.addIssue({ code: 'custom', path: ['minDb'], message: `expected below maxDb (${f.maxDb} dB)` });
    if (f.hop > f.nFft)
      ctx.addIssue({ code: 'custom', path: ['hop'], message: `expected at most nFft (${f.nFft})` });
    if (f.representation === 'mel' && Math.floor(f.samples / f.hop) < 1)
      ctx.addIssue({ code: 'custom', path: ['samples'], message: `expected at least one hop (${f.hop})` });
  });
export type AudioFeatures = z.infer<typeof AudioFeatures>;

/** Frames of a clip: one per hop, each centred on the middle of its hop (see `frameStart`). */
export function frameCount(f: Pick<AudioFeatures, 'samples' | 'hop'>): number {
  return Math.floor(f.samples / f.hop);
}

/** The shape of one sample: [mels, frames, 1] for spectrograms, [samples, 1] for waveforms. */
export function featureShape(f: AudioFeatures): number[] {
  return f.representation === 'mel' ? [f.mels, frameCount(f), 1] : [f.samples, 1];
}

/** Seconds of one clip. */
export const clipSeconds = (f: Pick<AudioFeatures, 'samples' | 'sampleRate'>) => f.samples / f.sampleRate;

// Frame t covers samples [frameStart(t), frameStart(t) + nFft), zero outside the clip: centred on t·hop + hop/2,
// so frames tile the clip exactly (samples/hop of them) and the first and last are as well covered as the rest.
const frameStart = (t: number, nFft: number, hop: number) => t * hop + Math.floor(hop / 2) - nFft / 2;

const windows = new Map<number, Float32Array>();
/** Periodic Hann window (as librosa and torch.stft use): sums to nFft/2, overlap-adds to a constant at hop nFft/4. */
export function hann(n: number): Float32Array {
  let w = windows.get(n);
  if (!w) {
    w = new Float32Array(n);
    for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
    windows.set(n, w);
  }
  return w;
}

/** A short-time spectrum: `frames` rows of `bins` = nFft/2 + 1 complex values, row-major. */
export interface Spectrum {
  frames: number;
  bins: number;
  re: Float32Array;
  im: Float32Array;
}

// One FFT object per size: fft.js builds its twiddle tables on construction, which cost as much as a clip's frames.
const ffts = new Map<number, FFT>();
function fftOf(n: number): FFT {
  let fft = ffts.get(n);
  if (!fft) {
    fft = new FFT(n);
    ffts.set(n, fft);
  }
  return fft;
}

/** Short-time Fourier transform of `wave` (Hann window, the framing above), `frames` frames. */
export function stft(
  wave: Float32Array,
  nFft: number,
  hop: number,
  frames = Math.floor(wave.length / hop),
): Spectrum {
  const fft = fftOf(nFft);
  const window = hann(nFft);
  const bins = nFft / 2 + 1;
  const re = new Float32Array(frames * bins);
  const im = new Float32Array(frames * bins);
  const input = new Float64Array(nFft);
  const out = new Float64Array(2 * nFft);
  for (let t = 0; t < frames; t++) {
    const start = frameStart(t, nFft, hop);
    // Only the part of the frame inside the clip is read; the rest is zero.
    const from = Math.max(0, -start);
    const to = Math.min(nFft, wave.length - start);
    input.fill(0);
    for (let i = from; i < to; i++) input[i] = wave[start + i] * window[i];
    fft.realTransform(out, input);
    const row = t * bins;
    for (let k = 0; k < bins; k++) {
      re[row + k] = out[2 * k];
      im[row + k] = out[2 * k + 1];
    }
  }
  return { frames, bins, re, im };
}

/**
 * Inverse of `stft` by weighted overlap-add (each frame windowed again, divided by the summed squared windows),
 * `length` samples: exact for a spectrum that came from `stft` wherever some window covers the sample.
 */
export function istft(spectrum: Spectrum, nFft: number, hop: number, length: number): Float32Array {
  const fft = fftOf(nFft);
  const window = hann(nFft);
  const { frames, bins, re, im } = spectrum;
  const full = new Float64Array(2 * nFft);
  const out = new Float64Array(2 * nFft);
  const wave = new Float32Array(length);
  const norm = new Float32Array(length);
  for (let t = 0; t < frames; t++) {
    for (let k = 0; k < bins; k++) {
      full[2 * k] = re[t * bins + k];
      full[2 * k + 1] = im[t * bins + k];
    }
    // The negative frequencies are the conjugates of the positive ones (a real signal).
    for (let k = bins; k < nFft; k++) {
      full[2 * k] = full[2 * (nFft - k)];
      full[2 * k + 1] = -full[2 * (nFft - k) + 1];
    }
    fft.inverseTransform(out, full);
    const start = frameStart(t, nFft, hop);
    const from = Math.max(0, -start);
    const to = Math.min(nFft, length - start);
    for (let i = from; i < to; i++) {
      wave[start + i] += out[2 * i] * window[i];
      norm[start + i] += window[i] * window[i];
    }
  }
  for (let j = 0; j < length; j++) if (norm[j] > 1e-8) wave[j] /= norm[j];
  return wave;
}

/** Hz → mel and back, the HTK formula (as torchaudio's default and the original MFCC papers). */
export const hzToMel = (hz: number) => 2595 * Math.log10(1 + hz / 700);
export const melToHz = (mel: number) => 700 * (10 ** (mel / 2595) - 1);

const filterbanks = new Map<string, Float32Array>();
/**
 * Triangular mel filters [mels, bins], unnormalised (peak 1), centres evenly spaced in mel between fMin and fMax:
 * torchaudio.functional.melscale_fbanks with mel_scale 'htk' and norm None.
 */
export function melFilterbank(
  f: Pick<AudioFeatures, 'sampleRate' | 'nFft' | 'mels' | 'fMin' | 'fMax'>,
): Float32Array {
  const key = `${f.sampleRate}/${f.nFft}/${f.mels}/${f.fMin}/${f.fMax}`;
  let bank = filterbanks.get(key);
  if (bank) return bank;
  const bins = f.nFft / 2 + 1;
  bank = new Float32Array(f.mels * bins);
  const lo = hzToMel(f.fMin);
  const hi = hzToMel(f.fMax);
  const edges = Array.from({ length: f.mels + 2 }, (_, i) => melToHz(lo + ((hi - lo) * i) / (f.mels + 1)));
  for (let m = 0; m < f.mels; m++) {
    const [left, centre, right] = [edges[m], edges[m + 1], edges[m + 2]];
    for (let k = 0; k < bins; k++) {
      const hz = (k * f.sampleRate) / f.nFft;
      const up = (hz - left) / (centre - left);
      const down = (right - hz) / (right - centre);
      bank[m * bins + k] = Math.max(0, Math.min(up, down));
    }
  }
  filterbanks.set(key, bank);
  return bank;
}

// Power is divided by (nFft/4)², the squared peak bin of a full-scale sine under the Hann window, so a
// full-scale tone between two filter centres reads about 0 dB: levels are dB re full scale.
const powerScale = (nFft: number) => 1 / (nFft / 4) ** 2;
const FLOOR = 1e-12;

const spans = new WeakMap<Float32Array, { start: Int32Array; end: Int32Array }>();
/** Per band, the bins its triangle covers, [start, end): the weights outside are zero, and most of a row is. */
function bandSpans(bank: Float32Array, mels: number, bins: number): { start: Int32Array; end: Int32Array } {
  const cached = spans.get(bank);
  if (cached) return cached;
  const start = new Int32Array(mels);
  const end = new Int32Array(mels);
  for (let m = 0; m < mels; m++) {
    let first = bins;
    let last = -1;
    for (let k = 0; k < bins; k++)
      if (bank[m * bins + k] !== 0) {
        first = Math.min(first, k);
        last = k;
      }
    start[m] = first;
    end[m] = last + 1;
  }
  spans.set(bank, { start, end });
  return { start, end };
}

/** Mel band powers [frames, mels] of a short-time spectrum, in the units above. */
function melPowers(spectrum: Spectrum, f: AudioFeatures): Float32Array {
  const bank = melFilterbank(f);
  const { frames, bins, re, im } = spectrum;
  const { start, end } = bandSpans(bank, f.mels, bins);
  const scale = powerScale(f.nFft);
  const out = new Float32Array(frames * f.mels);
  const power = new Float64Array(bins);
  for (let t = 0; t < frames; t++) {
    for (let k = 0; k < bins; k++) {
      const a = re[t * bins + k];
      const b = im[t * bins + k];
      power[k] = (a * a + b * b) * scale;
    }
    for (let m = 0; m < f.mels; m++) {
      let sum = 0;
      const row = m * bins;
      for (let k = start[m]; k < end[m]; k++) sum += bank[row + k] * power[k];
      out[t * f.mels + m] = sum;
    }
  }
  return out;
}

/** dB → [0, 1] by the features' range, clamped. */
const dbToUnit = (db: number, f: AudioFeatures) =>
  Math.min(1, Math.max(0, (db - f.minDb) / (f.maxDb - f.minDb)));
const unitToDb = (v: number, f: AudioFeatures) => f.minDb + Math.min(1, Math.max(0, v)) * (f.maxDb - f.minDb);

/**
 * The log-mel spectrogram of one clip of `f.samples` samples as an image [mels, frames, 1] in [0, 1]: row 0 is the
 * highest band (so it draws like a spectrogram), column t frame t; minDb → 0, maxDb → 1.
 */
export function melSpectrogram(wave: Float32Array, f: AudioFeatures): Float32Array {
  const frames = frameCount(f);
  const powers = melPowers(stft(wave, f.nFft, f.hop, frames), f);
  const image = new Float32Array(f.mels * frames);
  for (let t = 0; t < frames; t++) {
    for (let m = 0; m < f.mels; m++) {
      const db = 10 * Math.log10(Math.max(powers[t * f.mels + m], FLOOR));
      image[(f.mels - 1 - m) * frames + t] = dbToUnit(db, f);
    }
  }
  return image;
}

/**
 * Linear magnitudes [frames, bins] (the STFT's units) behind a spectrogram image. A band's power is the
 * filter-weighted sum of its bins' powers; taking the spectrum as flat inside each band, a bin's power is its
 * bands' powers per unit of filter weight, averaged over the bands that cover it with their weights: a smooth
 * approximate inverse that never goes negative. Bins no filter covers get none.
 */
export function magnitudesFromMel(image: Float32Array, f: AudioFeatures): Float32Array {
  const frames = frameCount(f);
  const bins = f.nFft / 2 + 1;
  const widths = melBandWidths(f);
  const unscale = 1 / powerScale(f.nFft);
  const mag = new Float32Array(frames * bins);
  const perWeight = new Float32Array(f.mels);
  for (let t = 0; t < frames; t++) {
    for (let m = 0; m < f.mels; m++) {
      const db = unitToDb(image[(f.mels - 1 - m) * frames + t], f);
      // The floor level means "silent": give it no power at all, so silence resynthesises as silence.
      perWeight[m] = db <= f.minDb + 1e-6 || widths[m] === 0 ? 0 : 10 ** (db / 10) / widths[m];
    }
    const row = mag.subarray(t * bins, (t + 1) * bins);
    spreadToBins(perWeight, f, row);
    for (let k = 0; k < bins; k++) row[k] = Math.sqrt(row[k] * unscale);
  }
  return mag;
}

/** Per band, its filter's summed weight: the number of FFT bins it spans, counted by weight. */
export function melBandWidths(
  f: Pick<AudioFeatures, 'sampleRate' | 'nFft' | 'mels' | 'fMin' | 'fMax'>,
): Float32Array {
  const bank = melFilterbank(f);
  const bins = f.nFft / 2 + 1;
  const widths = new Float32Array(f.mels);
  for (let m = 0; m < f.mels; m++) for (let k = 0; k < bins; k++) widths[m] += bank[m * bins + k];
  return widths;
}

const covers = new WeakMap<Float32Array, Float32Array>();
/**
 * Per-band values [mels] spread over the FFT bins into `out` [bins]: each bin the filter-weighted mean of the
 * values of the bands that cover it. Bins no filter covers are left as they are.
 */
function spreadToBins(values: Float32Array, f: AudioFeatures, out: Float32Array): void {
  const bank = melFilterbank(f);
  const bins = f.nFft / 2 + 1;
  let cover = covers.get(bank);
  if (!cover) {
    cover = new Float32Array(bins);
    for (let m = 0; m < f.mels; m++) for (let k = 0; k < bins; k++) cover[k] += bank[m * bins + k];
    covers.set(bank, cover);
  }
  for (let k = 0; k < bins; k++) {
    if (cover[k] === 0) continue;
    let sum = 0;
    for (let m = 0; m < f.mels; m++) sum += bank[m * bins + k] * values[m];
    out[k] = sum / cover[k];
  }
}

export interface GriffinLimOptions {
  /** Iterations (default 64). */
  iterations?: number;
  /** Momentum of the fast Griffin-Lim of Perraudin et al. 2013 (default 0.99; 0 is the classic algorithm). */
  momentum?: number;
  /** Seed of the initial random phases (default 0), so a resynthesis is reproducible. */
  seed?: number;
  /** Phases to start from instead (a noisy recording's, when denoising): frames × bins, radians. */
  phase?: Spectrum;
}

/**
 * A waveform of `length` samples whose STFT magnitudes approach `magnitude` [frames, bins]: fast Griffin-Lim
 * (Perraudin, Balazs and Søndergaard 2013), alternating projections between consistent spectra and the target
 * magnitudes with momentum.
 */
export function griffinLim(
  magnitude: Float32Array,
  f: Pick<AudioFeatures, 'nFft' | 'hop'>,
  length: number,
  options: GriffinLimOptions = {},
): Float32Array {
  const bins = f.nFft / 2 + 1;
  const frames = magnitude.length / bins;
  const iterations = options.iterations ?? 64;
  const momentum = options.momentum ?? 0.99;
  const re = new Float32Array(frames * bins);
  const im = new Float32Array(frames * bins);
  let state = (options.seed ?? 0) * 2654435761 + 1;
  const random = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  for (let i = 0; i < re.length; i++) {
    let angle: number;
    if (options.phase) angle = Math.atan2(options.phase.im[i], options.phase.re[i]);
    else angle = 2 * Math.PI * random();
    re[i] = magnitude[i] * Math.cos(angle);
    im[i] = magnitude[i] * Math.sin(angle);
  }
  let previous: Spectrum | undefined;
  let wave = istft({ frames, bins, re, im }, f.nFft, f.hop, length);
  for (let n = 0; n < iterations; n++) {
    const rebuilt = stft(wave, f.nFft, f.hop, frames);
    for (let i = 0; i < re.length; i++) {
      let a = rebuilt.re[i];
      let b = rebuilt.im[i];
      if (previous && momentum > 0) {
        a += momentum * (a - previous.re[i]);
        b += momentum * (b - previous.im[i]);
      }
      const norm = Math.hypot(a, b);
      re[i] = norm > 1e-12 ? (magnitude[i] * a) / norm : magnitude[i];
      im[i] = norm > 1e-12 ? (magnitude[i] * b) / norm : 0;
    }
    previous = rebuilt;
    wave = istft({ frames, bins, re, im }, f.nFft, f.hop, length);
  }
  return wave;
}

/** A clip back from a spectrogram image: magnitudes by `magnitudesFromMel`, phases by Griffin-Lim. */
export function waveFromMel(
  image: Float32Array,
  f: AudioFeatures,
  options: GriffinLimOptions = {},
): Float32Array {
  return griffinLim(magnitudesFromMel(image, f), f, f.samples, options);
}

/** One clip's features as the model's sample: the spectrogram image, or the waveform itself. */
export function clipFeatures(wave: Float32Array, f: AudioFeatures): Float32Array {
  if (wave.length !== f.samples)
    throw new DataError(`expected a clip of ${f.samples} samples, got ${wave.length}`, { path: 'audio' });
  return f.representation === 'mel' ? melSpectrogram(wave, f) : Float32Array.from(wave);
}

/** A model's sample back to a clip: Griffin-Lim for spectrograms, clamped to [-1, 1] for waveforms. */
export function clipFromFeatures(
  sample: Float32Array,
  f: AudioFeatures,
  options: GriffinLimOptions = {},
): Float32Array {
  if (f.representation === 'mel') return waveFromMel(sample, f, options);
  return sample.map((v) => Math.max(-1, Math.min(1, v)));
}

/**
 * Mel-frequency cepstral coefficients [frames, count] of a spectrogram image: the orthonormal DCT-II of each
 * frame's log band powers (in dB), first `count` coefficients: the classical speech features, the baseline the
 * learned codes are compared with.
 */
export function mfcc(image: Float32Array, f: AudioFeatures, count = 13): Float32Array {
  const frames = frameCount(f);
  const n = f.mels;
  const out = new Float32Array(frames * count);
  const logs = new Float32Array(n);
  for (let t = 0; t < frames; t++) {
    for (let m = 0; m < n; m++) logs[m] = unitToDb(image[(n - 1 - m) * frames + t], f);
    for (let c = 0; c < count; c++) {
      let sum = 0;
      for (let m = 0; m < n; m++) sum += logs[m] * Math.cos((Math.PI * c * (m + 0.5)) / n);
      out[t * count + c] = sum * Math.sqrt((c === 0 ? 1 : 2) / n);
    }
  }
  return out;
}

/** The spec fields (audio:DIR, fsdd) that make these features: data given to a saved model is read with them. */
export function specFieldsOf(f: AudioFeatures) {
  return {
    sampleRate: f.sampleRate,
    duration: clipSeconds(f),
    representation: f.representation,
    nFft: f.nFft,
    hop: f.hop,
    mels: f.mels,
    fMin: f.fMin,
    fMax: f.fMax,
    minDb: f.minDb,
    maxDb: f.maxDb,
  };
}

/** One line for messages: "log-mel spectrograms of 64 bands x 64 frames at 8000 Hz, 1.024 s clips". */
export function describeFeatures(f: AudioFeatures): string {
  const clip = `${f.sampleRate} Hz, ${clipSeconds(f)} s clips`;
  return f.representation === 'mel'
    ? `log-mel spectrograms of ${f.mels} bands x ${frameCount(f)} frames at ${clip}`
    : `waveforms at ${clip}`;
}

/**
 * Gains [frames, bins] that turn the STFT of a noisy clip into the clean one a model estimated in mel space: per
 * band and frame the amplitude ratio sqrt(estimated power / noisy power), at most 1, spread over the FFT bins by
 * the filterbank (each bin the filter-weighted mean of its bands' gains). Applied to the noisy STFT this keeps the
 * recording's own fine structure and phase, which a resynthesis from 64 bands cannot give back: a mel-domain
 * Wiener-like mask whose clean estimate is the model's.
 */
export function melGains(estimate: Float32Array, noisy: Float32Array, f: AudioFeatures): Float32Array {
  const frames = frameCount(f);
  const bins = f.nFft / 2 + 1;
  const gains = new Float32Array(frames * bins).fill(1);
  const band = new Float32Array(f.mels);
  for (let t = 0; t < frames; t++) {
    for (let m = 0; m < f.mels; m++) {
      const at = (f.mels - 1 - m) * frames + t;
      // Both in dB, so the ratio of powers is 10^(difference / 10); amplitude is its square root.
      const db = unitToDb(estimate[at], f) - unitToDb(noisy[at], f);
      band[m] = Math.min(1, 10 ** (db / 20));
    }
    spreadToBins(band, f, gains.subarray(t * bins, (t + 1) * bins));
  }
  return gains;
}
