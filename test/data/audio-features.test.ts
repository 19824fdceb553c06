// The audio features against references: torch.stft, torchaudio's HTK filterbank (re-written in numpy), scipy's
// orthonormal DCT-II (these skip without python3, numpy, torch and scipy), and hand computations that always run.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  AudioFeatures,
  frameCount,
  griffinLim,
  hann,
  istft,
  melFilterbank,
  melGains,
  melSpectrogram,
  mfcc,
  stft,
  waveFromMel,
} from '../../src/data/audio/features.js';
import { resample, resampledLength } from '../../src/data/audio/resample.js';
import { tone } from './audio-files.js';

const PYTHON = '/usr/bin/python3';
const hasPython = spawnSync(PYTHON, ['-c', 'import numpy, torch, scipy'], { encoding: 'utf8' }).status === 0;

/** Run `script` with `input` as JSON on stdin (bound to `x`); it prints its answer as JSON. */
function python(script: string, input: unknown): unknown {
  const prelude = 'import json, sys\nimport numpy as np\nx = json.load(sys.stdin)\n';
  const run = spawnSync(PYTHON, ['-c', prelude + script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (run.status !== 0) throw new Error(`python failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** The largest |a - b| over the largest |b|: an error relative to the signal's scale. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return worst / scale;
}

/** A voice-like test signal: a 220 Hz harmonic series with a slow vibrato and a little noise, seeded. */
function voice(count: number, sampleRate: number, seed = 1): Float32Array {
  let state = seed;
  const noise = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
  let phase = 0;
  return Float32Array.from({ length: count }, (_, i) => {
    const t = i / sampleRate;
    phase += (2 * Math.PI * 220 * (1 + 0.03 * Math.sin(2 * Math.PI * 3 * t))) / sampleRate;
    let v = 0;
    for (let h = 1; h <= 8; h++) v += Math.sin(h * phase) / h;
    return 0.3 * v + 0.01 * noise();
  });
}

const fsddLike = AudioFeatures.parse({
  sampleRate: 8000,
  samples: 8192,
  representation: 'mel',
  nFft: 256,
  hop: 128,
  mels: 64,
  fMin: 0,
  fMax: 4000,
  minDb: -100,
  maxDb: 10,
});

describe('stft and istft', () => {
  it('frames a clip into samples/hop frames, the first centred on hop/2 (hand DFT of one frame)', () => {
    const nFft = 16;
    const hop = 8;
    const wave = Float32Array.from({ length: 40 }, (_, i) => Math.cos(i * 0.7) + 0.1 * i);
    const spectrum = stft(wave, nFft, hop);
    expect(spectrum.frames).toBe(5);
    expect(spectrum.bins).toBe(9);
    // Frame 2 covers samples 2·8 + 4 - 8 = 12 ... 27: the DFT of those samples times the periodic Hann window.
    const window = hann(nFft);
    for (const k of [0, 1, 4, 8]) {
      let re = 0;
      let im = 0;
      for (let i = 0; i < nFft; i++) {
        re += wave[12 + i] * window[i] * Math.cos((2 * Math.PI * k * i) / nFft);
        im -= wave[12 + i] * window[i] * Math.sin((2 * Math.PI * k * i) / nFft);
      }
      expect(spectrum.re[2 * 9 + k]).toBeCloseTo(re, 4);
      expect(spectrum.im[2 * 9 + k]).toBeCloseTo(im, 4);
    }
    // Frame 0 starts at 4 - 8 = -4: zeros before the clip.
    let dc = 0;
    for (let i = 4; i < nFft; i++) dc += wave[i - 4] * window[i];
    expect(spectrum.re[0]).toBeCloseTo(dc, 4);
  });

  it('istft(stft(x)) gives x back to 1e-5 at hops nFft/2 and nFft/4', () => {
    const wave = voice(8192, 8000);
    for (const [nFft, hop] of [
      [256, 128],
      [512, 128],
      [256, 64],
    ]) {
      const back = istft(stft(wave, nFft, hop), nFft, hop, wave.length);
      expect(relativeError(back, wave)).toBeLessThan(1e-5);
    }
  });

  it('with a hop that does not divide the clip, gives back the samples its frames cover', () => {
    // 8192 / 100 → 81 frames; the last covers up to 80·100 + 50 + 128 = 8178: the 14 samples after are lost.
    const wave = voice(8192, 8000);
    const back = istft(stft(wave, 256, 100), 256, 100, wave.length);
    // Near 8178 only the last window's tail covers a sample, and dividing by its tiny weight costs precision.
    expect(relativeError(back.subarray(0, 8160), wave.subarray(0, 8160))).toBeLessThan(1e-5);
    expect(relativeError(back.subarray(0, 8178), wave.subarray(0, 8178))).toBeLessThan(1e-3);
    expect(back.subarray(8178).every((v) => v === 0)).toBe(true);
  });

  it.skipIf(!hasPython)('matches torch.stft (centre=False) on the clip padded as our framing does', () => {
    // Our frame t covers [t·hop + ⌊hop/2⌋ - nFft/2, + nFft): torch.stft with center=False on the clip with
    // nFft/2 - ⌊hop/2⌋ zeros in front (and nFft behind) covers [t·hop, + nFft) of that padded signal.
    const nFft = 256;
    const hop = 128;
    const wave = voice(4096, 8000, 7);
    const ours = stft(wave, nFft, hop);
    const theirs = python(
      `import torch
w = torch.tensor(x['wave'], dtype=torch.float64)
n, hop, frames = x['nFft'], x['hop'], x['frames']
padded = torch.cat([torch.zeros(n // 2 - hop // 2, dtype=torch.float64), w, torch.zeros(n, dtype=torch.float64)])
s = torch.stft(padded, n, hop, window=torch.hann_window(n, periodic=True, dtype=torch.float64), center=False, return_complex=True)
s = s[:, :frames].T.contiguous()
print(json.dumps({'re': s.real.flatten().tolist(), 'im': s.imag.flatten().tolist()}))`,
      { wave: Array.from(wave), nFft, hop, frames: ours.frames },
    ) as { re: number[]; im: number[] };
    expect(ours.frames).toBe(32);
    expect(relativeError(ours.re, theirs.re)).toBeLessThan(1e-5);
    expect(relativeError(ours.im, theirs.im)).toBeLessThan(1e-5);
  });
});

describe('mel filterbank and spectrogram', () => {
  it('has triangles of peak 1 at mel-spaced centres (hand check of the HTK formula)', () => {
    const f = { sampleRate: 8000, nFft: 256, mels: 8, fMin: 0, fMax: 4000 };
    const bank = melFilterbank(f);
    const bins = 129;
    // HTK: mel = 2595·log10(1 + hz/700); 4000 Hz is 2146.06 mel, so centres are at i·2146.06/9 mel.
    const top = 2595 * Math.log10(1 + 4000 / 700);
    const centres = Array.from({ length: 10 }, (_, i) => 700 * (10 ** ((top * i) / 9 / 2595) - 1));
    for (let m = 0; m < 8; m++) {
      let peak = 0;
      for (let k = 0; k < bins; k++) peak = Math.max(peak, bank[m * bins + k]);
      expect(peak).toBeLessThanOrEqual(1);
      // A bin at hz between the left edge and the centre rises linearly.
      const k = Math.ceil((centres[m] * 256) / 8000 + 1e-9);
      const hz = (k * 8000) / 256;
      if (hz < centres[m + 1])
        expect(bank[m * bins + k]).toBeCloseTo((hz - centres[m]) / (centres[m + 1] - centres[m]), 5);
      // Zero outside [left, right].
      expect(bank[m * bins + Math.floor((centres[m] * 256) / 8000)]).toBe(0);
    }
  });

  it.skipIf(!hasPython)(
    'matches torchaudio.functional.melscale_fbanks (htk, norm None) written in numpy',
    () => {
      for (const f of [
        { sampleRate: 8000, nFft: 256, mels: 64, fMin: 0, fMax: 4000 },
        { sampleRate: 16_000, nFft: 512, mels: 40, fMin: 60, fMax: 7600 },
      ]) {
        const theirs = python(
          `sr, n_fft, n_mels, f_min, f_max = x['sampleRate'], x['nFft'], x['mels'], x['fMin'], x['fMax']
n_freqs = n_fft // 2 + 1
all_freqs = np.linspace(0, sr // 2, n_freqs)
hz_to_mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)
mel_to_hz = lambda m: 700.0 * (10.0 ** (m / 2595.0) - 1.0)
f_pts = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))
f_diff = f_pts[1:] - f_pts[:-1]
slopes = f_pts[None, :] - all_freqs[:, None]
down = -slopes[:, :-2] / f_diff[:-1]
up = slopes[:, 2:] / f_diff[1:]
fb = np.maximum(0.0, np.minimum(down, up))
print(json.dumps(fb.T.flatten().tolist()))`,
          f,
        ) as number[];
        const ours = melFilterbank(f);
        expect(relativeError(ours, theirs)).toBeLessThan(1e-5);
      }
    },
  );

  it('reads a full-scale sine at its band level: 10·log10 of the filter-weighted Hann bins (≈ 0 dB)', () => {
    // 1 kHz at 8 kHz with nFft 256 is exactly bin 32: under the periodic Hann window its power (scaled by
    // (nFft/4)²) is 1 at bin 32 and 1/4 at bins 31 and 33, nothing elsewhere.
    const image = melSpectrogram(tone(1000, 8000, 8192, 1), fsddLike);
    const bank = melFilterbank(fsddLike);
    const frames = frameCount(fsddLike);
    const t = 32;
    let loudest = -Infinity;
    for (let m = 0; m < 64; m++) {
      const power = bank[m * 129 + 32] + 0.25 * (bank[m * 129 + 31] + bank[m * 129 + 33]);
      const db = -100 + image[(63 - m) * frames + t] * 110;
      if (power > 1e-4) expect(db).toBeCloseTo(10 * Math.log10(power), 3);
      else expect(db).toBeLessThan(-35);
      loudest = Math.max(loudest, db);
    }
    expect(Math.abs(loudest)).toBeLessThan(1.5);
  });

  it('draws the highest band in row 0 and silence at the floor', () => {
    const f = fsddLike;
    const frames = frameCount(f);
    const high = melSpectrogram(tone(3500, 8000, 8192, 0.5), f);
    const low = melSpectrogram(tone(200, 8000, 8192, 0.5), f);
    const rowOfPeak = (image: Float32Array) => {
      let best = 0;
      for (let r = 0; r < 64; r++) if (image[r * frames + 30] > image[best * frames + 30]) best = r;
      return best;
    };
    expect(rowOfPeak(high)).toBeLessThan(10);
    expect(rowOfPeak(low)).toBeGreaterThan(50);
    expect(melSpectrogram(new Float32Array(8192), f).every((v) => v === 0)).toBe(true);
  });
});

describe('Griffin-Lim and MFCC', () => {
  /** ‖|STFT(y)| - M‖ / ‖M‖, the spectral convergence of a resynthesis y to target magnitudes M. */
  function spectralConvergence(wave: Float32Array, target: Float32Array, nFft: number, hop: number): number {
    const s = stft(wave, nFft, hop, target.length / (nFft / 2 + 1));
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < target.length; i++) {
      diff += (Math.hypot(s.re[i], s.im[i]) - target[i]) ** 2;
      norm += target[i] ** 2;
    }
    return Math.sqrt(diff / norm);
  }

  it('resynthesises magnitudes with a spectral convergence that falls with iterations', () => {
    const nFft = 256;
    const hop = 64;
    const wave = voice(4096, 8000, 3);
    const s = stft(wave, nFft, hop);
    const magnitude = Float32Array.from(s.re, (re, i) => Math.hypot(re, s.im[i]));
    const scores = [0, 4, 16, 64].map((iterations) =>
      spectralConvergence(
        griffinLim(magnitude, { nFft, hop }, wave.length, { iterations }),
        magnitude,
        nFft,
        hop,
      ),
    );
    for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeLessThan(scores[i - 1]);
    expect(scores[0]).toBeGreaterThan(0.3);
    expect(scores[3]).toBeLessThan(0.1);
    // The same seed gives the same waveform.
    const a = griffinLim(magnitude, { nFft, hop }, wave.length, { iterations: 2, seed: 5 });
    const b = griffinLim(magnitude, { nFft, hop }, wave.length, { iterations: 2, seed: 5 });
    expect(a).toEqual(b);
  });

  it('waveFromMel brings a tone back at its pitch', () => {
    const f = fsddLike;
    const wave = waveFromMel(melSpectrogram(tone(1000, 8000, 8192, 0.5), f), f, { iterations: 16 });
    const s = stft(wave, 256, 128);
    let best = 0;
    for (let k = 0; k < 129; k++)
      if (
        s.re[30 * 129 + k] ** 2 + s.im[30 * 129 + k] ** 2 >
        s.re[30 * 129 + best] ** 2 + s.im[30 * 129 + best] ** 2
      )
        best = k;
    // Mel bands near 1 kHz are ~2 bins wide: the loudest bin within one of bin 32.
    expect(Math.abs(best - 32)).toBeLessThanOrEqual(1);
  });

  it('mfcc of a flat frame is only c0 = √mels · level (hand DCT-II, orthonormal)', () => {
    const f = { ...fsddLike, mels: 16, minDb: -100, maxDb: 0 };
    const frames = frameCount(f);
    const image = new Float32Array(16 * frames).fill(0.6); // -40 dB in every band
    const c = mfcc(image, f, 5);
    expect(c[0]).toBeCloseTo(Math.sqrt(16) * -40, 4);
    for (let i = 1; i < 5; i++) expect(Math.abs(c[i])).toBeLessThan(1e-4);
  });

  it.skipIf(!hasPython)('mfcc matches scipy.fft.dct (type 2, ortho) of the log band powers', () => {
    const f = fsddLike;
    const image = melSpectrogram(voice(8192, 8000, 11), f);
    const ours = mfcc(image, f, 13);
    const theirs = python(
      `from scipy.fft import dct
img = np.array(x['image']).reshape(x['mels'], x['frames'])
db = x['minDb'] + np.clip(img, 0, 1) * (x['maxDb'] - x['minDb'])
logs = db[::-1, :].T          # [frames, mels], band 0 first
print(json.dumps(dct(logs, type=2, norm='ortho', axis=1)[:, :13].flatten().tolist()))`,
      { image: Array.from(image), mels: f.mels, frames: frameCount(f), minDb: f.minDb, maxDb: f.maxDb },
    ) as number[];
    expect(relativeError(ours, theirs)).toBeLessThan(1e-4);
  });
});

describe('resample', () => {
  /** Level of `wave` (RMS of its middle, away from the converter's edges) in dB re a full-scale sine. */
  function levelDb(wave: Float32Array): number {
    const middle = wave.subarray(Math.floor(wave.length / 4), Math.floor((3 * wave.length) / 4));
    let sum = 0;
    for (const v of middle) sum += v * v;
    return 10 * Math.log10(sum / middle.length / 0.5 + 1e-30);
  }

  it('removes a 6 kHz tone going from 16 kHz to 8 kHz (band-limited, not folded to 2 kHz)', async () => {
    const out = await resample(tone(6000, 16_000, 16_000, 1), 16_000, 8000);
    expect(out.length).toBe(8000);
    expect(levelDb(out)).toBeLessThan(-60);
  });

  it('keeps a 1 kHz tone at its frequency, level and phase', async () => {
    const out = await resample(tone(1000, 16_000, 16_000, 0.5), 16_000, 8000);
    expect(levelDb(out)).toBeCloseTo(20 * Math.log10(0.5), 1);
    const expected = tone(1000, 8000, 8000, 0.5);
    // Away from the edges the output is the same sine sampled at 8 kHz: no delay, no pitch change.
    expect(relativeError(out.subarray(500, 7500), expected.subarray(500, 7500))).toBeLessThan(0.01);
  });

  it('gives the duration in samples at the new rate (44.1 kHz → 8 kHz, 8 kHz → 16 kHz)', async () => {
    expect((await resample(new Float32Array(44_100).fill(0.1), 44_100, 8000)).length).toBe(8000);
    expect((await resample(new Float32Array(12_345).fill(0.1), 22_050, 8000)).length).toBe(4479);
    expect((await resample(new Float32Array(8192).fill(0.1), 8000, 16_000)).length).toBe(16_384);
    expect(resampledLength(1000, 44_100, 8000)).toBe(181);
    const same = new Float32Array(10);
    expect(await resample(same, 8000, 8000)).toBe(same);
  });
});

describe("melGains (a model's clean estimate as a mask on the noisy STFT)", () => {
  const f = AudioFeatures.parse({
    sampleRate: 8000,
    samples: 1024,
    representation: 'mel',
    nFft: 256,
    hop: 128,
    mels: 16,
    fMin: 0,
    fMax: 4000,
    minDb: -100,
    maxDb: 0,
  });
  const frames = 8;
  const bins = 129;

  it('is 1 where the estimate equals the noisy input, and never above 1', () => {
    const noisy = new Float32Array(16 * frames).fill(0.5);
    expect(Array.from(melGains(noisy, noisy, f)).every((g) => Math.abs(g - 1) < 1e-6)).toBe(true);
    const louder = new Float32Array(16 * frames).fill(0.7);
    expect(Math.max(...melGains(louder, noisy, f))).toBeLessThanOrEqual(1);
  });

  it('is 0.1 on every covered bin when the estimate is 20 dB (0.2 of the 100 dB range) below the input', () => {
    const noisy = new Float32Array(16 * frames).fill(0.6);
    const estimate = new Float32Array(16 * frames).fill(0.4);
    const gains = melGains(estimate, noisy, f);
    expect(gains.length).toBe(frames * bins);
    // Bins 0 (0 Hz) and 128 (4 kHz) are where the first filter starts and the last ends: no filter covers them,
    // so they keep gain 1.
    for (let t = 0; t < frames; t++) {
      expect(gains[t * bins]).toBe(1);
      expect(gains[t * bins + bins - 1]).toBe(1);
    }
    for (let t = 0; t < frames; t++)
      for (let k = 1; k < bins - 1; k++) expect(gains[t * bins + k]).toBeCloseTo(0.1, 5);
  });
});
