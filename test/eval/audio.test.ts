// Audio measures: SNR and log-spectral distance against hand computations, noise mixed at an exact SNR, and the
// Wiener baseline cleaning a noisy tone.
import { describe, expect, it } from 'vitest';
import {
  AudioQualityMeter,
  gaussianNoise,
  logSpectralDistance,
  mixNoise,
  snrDb,
  wienerDenoise,
} from '../../src/eval/audio.js';

const tiny = { nFft: 4, hop: 2, minDb: -100 };

/** A tone of `hz` at `rate`, amplitude `amp`, in the middle of `length` samples with silence either side. */
function paddedTone(length: number, hz: number, rate: number, amp = 0.5): Float32Array {
  const out = new Float32Array(length);
  for (let i = Math.floor(length / 4); i < Math.floor((3 * length) / 4); i++)
    out[i] = amp * Math.sin((2 * Math.PI * hz * i) / rate);
  return out;
}

describe('snrDb', () => {
  it('is 10 log10 of signal over error energy', () => {
    const clean = Float32Array.from([1, -1, 2, 0]);
    const estimate = Float32Array.from([1, -1, 1, 0]);
    // Σ clean² = 6, Σ error² = 1.
    expect(snrDb(clean, estimate)).toBeCloseTo(10 * Math.log10(6), 10);
    expect(snrDb(clean, clean)).toBe(Number.POSITIVE_INFINITY);
    expect(snrDb(clean, new Float32Array(4))).toBeCloseTo(0, 10);
  });

  it('refuses a silent clean clip and mismatched lengths', () => {
    expect(() => snrDb(new Float32Array(4), Float32Array.from([1, 0, 0, 0]))).toThrow(
      'clean: the clean clip is silent',
    );
    expect(() => snrDb(new Float32Array(4), new Float32Array(3))).toThrow(
      'estimate: expected a clip of 4 samples like the clean one, got 3',
    );
  });
});

describe('logSpectralDistance', () => {
  // nFft 4, hop 2, periodic Hann [0, .5, 1, .5]; frame t covers samples 2t-1 .. 2t+2 (see features.ts).
  // clean [1, 0, 0, 0]: frame 0 windows to [0, .5, 0, 0], so |X_k| = .5 in each of the 3 bins; power
  // .25 / (4/4)² = .25, -6.0206 dB. Frame 1 is all zero: the -100 dB floor.
  it('matches a hand computation on a 4-sample clip', () => {
    const clean = Float32Array.from([1, 0, 0, 0]);
    // Twice as loud: frame 0 is 0 dB in every bin, 6.0206 dB off; frame 1 is floor in both.
    expect(logSpectralDistance(clean, Float32Array.from([2, 0, 0, 0]), tiny)).toBeCloseTo(
      (20 * Math.log10(2) + 0) / 2,
      4,
    );
    // Silence: frame 0 is -100 − (−6.0206) dB off in every bin.
    expect(logSpectralDistance(clean, new Float32Array(4), tiny)).toBeCloseTo(
      (100 - 20 * Math.log10(2)) / 2,
      4,
    );
    expect(logSpectralDistance(clean, clean, tiny)).toBe(0);
  });

  it('reads a higher floor as the features say', () => {
    const clean = Float32Array.from([1, 0, 0, 0]);
    expect(logSpectralDistance(clean, new Float32Array(4), { ...tiny, minDb: -40 })).toBeCloseTo(
      (40 - 20 * Math.log10(2)) / 2,
      4,
    );
  });
});

describe('mixNoise', () => {
  const clean = paddedTone(4096, 440, 8000);

  it('mixes white noise at exactly the SNR asked for, reproducibly by seed', () => {
    for (const snr of [-5, 0, 5, 20]) {
      const noisy = mixNoise(clean, 'white', snr, 3);
      expect(snrDb(clean, noisy)).toBeCloseTo(snr, 4);
    }
    expect(mixNoise(clean, 'white', 5, 3)).toEqual(mixNoise(clean, 'white', 5, 3));
    expect(mixNoise(clean, 'white', 5, 3)).not.toEqual(mixNoise(clean, 'white', 5, 4));
  });

  it('mixes another recording, repeated when shorter, at the SNR asked for', () => {
    const other = paddedTone(1000, 1000, 8000, 0.1);
    const noisy = mixNoise(clean, other, 5);
    expect(snrDb(clean, noisy)).toBeCloseTo(5, 4);
    // The noise is the recording scaled: the difference at i and i + 1000 is the same.
    expect(noisy[1500] - clean[1500]).toBeCloseTo(noisy[2500] - clean[2500], 6);
  });

  it('refuses silent noise, a silent clip and an infinite SNR', () => {
    expect(() => mixNoise(clean, new Float32Array(10), 5)).toThrow('noise: the noise is silent');
    expect(() => mixNoise(new Float32Array(10), 'white', 5)).toThrow('clean: the clean clip is silent');
    expect(() => mixNoise(clean, 'white', Number.POSITIVE_INFINITY)).toThrow('expected a finite SNR');
  });

  it('draws standard normal noise', () => {
    const n = gaussianNoise(20_000, 1);
    const mean = n.reduce((a, b) => a + b, 0) / n.length;
    const variance = n.reduce((a, b) => a + (b - mean) ** 2, 0) / n.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(variance).toBeGreaterThan(0.95);
    expect(variance).toBeLessThan(1.05);
  });
});

describe('wienerDenoise', () => {
  const features = { nFft: 256, hop: 128, minDb: -100 };

  it('raises the SNR of a noisy tone by a clear margin and lowers its LSD', () => {
    const clean = paddedTone(8192, 440, 8000);
    const noisy = mixNoise(clean, 'white', 5, 1);
    const cleaned = wienerDenoise(noisy, features);
    expect(cleaned.length).toBe(noisy.length);
    const before = snrDb(clean, noisy);
    const after = snrDb(clean, cleaned);
    expect(before).toBeCloseTo(5, 4);
    expect(after).toBeGreaterThan(before + 8);
    expect(logSpectralDistance(clean, cleaned, features)).toBeLessThan(
      logSpectralDistance(clean, noisy, features),
    );
  });

  it('leaves a clean clip nearly alone where it is loud', () => {
    // No noise-only frames hold noise, so the estimate is the silence: the tone passes with gain ~1.
    const clean = paddedTone(8192, 440, 8000);
    expect(snrDb(clean, wienerDenoise(clean, features))).toBeGreaterThan(20);
  });

  it('refuses options outside their ranges, naming the field', () => {
    const noisy = mixNoise(paddedTone(1024, 440, 8000), 'white', 5);
    expect(() => wienerDenoise(noisy, features, { noiseFrames: 0 })).toThrow('noiseFrames');
    expect(() => wienerDenoise(noisy, features, { floorDb: 3 })).toThrow('floorDb');
  });
});

describe('AudioQualityMeter', () => {
  it('averages per-clip SNR and LSD', () => {
    const clean = paddedTone(2048, 440, 8000);
    const a = mixNoise(clean, 'white', 0, 1);
    const b = mixNoise(clean, 'white', 10, 2);
    const f = { nFft: 256, hop: 128, minDb: -100 };
    const q = new AudioQualityMeter(f).add(clean, a).add(clean, b).result();
    expect(q.snrDb).toBeCloseTo(5, 4);
    expect(q.lsd).toBeCloseTo((logSpectralDistance(clean, a, f) + logSpectralDistance(clean, b, f)) / 2, 6);
    expect(() => new AudioQualityMeter(f).result()).toThrow('no clips were scored');
  });
});
