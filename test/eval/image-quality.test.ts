// PSNR, SSIM and the baseline filters against hand computations and values computed with numpy (a direct
// transcription of Wang et al.'s definition: Gaussian window, 'valid' region, C1 = (0.01 L)², C2 = (0.03 L)²).
import { describe, expect, it } from 'vitest';
import { gaussianBlur, medianFilter } from '../../src/eval/image-filters.js';
import { imageQuality, MAX_PSNR, psnr, QualityMeter, ssim } from '../../src/eval/image-quality.js';
import { expectClose } from '../helpers.js';

/** ((i a + j b + k 5) mod 17) / 16, as float32: the same pattern the numpy script builds. */
function pattern(h: number, w: number, c: number, a: number, b: number): Float32Array {
  const out = new Float32Array(h * w * c);
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++)
      for (let k = 0; k < c; k++) out[(i * w + j) * c + k] = ((i * a + j * b + k * 5) % 17) / 16;
  return out;
}

/** clip(x + 0.2 sin(1.3 i + 0.7 j + k), 0, 1), as float32. */
function perturbed(x: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++)
      for (let k = 0; k < c; k++) {
        const p = (i * w + j) * c + k;
        out[p] = Math.min(1, Math.max(0, x[p] + 0.2 * Math.sin(i * 1.3 + j * 0.7 + k)));
      }
  return out;
}

describe('PSNR', () => {
  it('is 10 log10(1 / MSE)', () => {
    // Errors 0.1 on half the values: MSE 0.005, PSNR 10 log10(200) = 23.0103 dB.
    expect(psnr([0, 0, 0.5, 1], [0.1, 0, 0.4, 1])).toBeCloseTo(10 * Math.log10(200), 10);
    expect(psnr([0, 255], [10, 255], 255)).toBeCloseTo(10 * Math.log10(255 ** 2 / 50), 10);
    expect(psnr([0.3, 0.4], [0.3, 0.4])).toBe(MAX_PSNR);
  });

  it('matches numpy on a 28x28 pattern', () => {
    const x = pattern(28, 28, 1, 7, 13);
    expect(psnr(x, perturbed(x, 28, 28, 1))).toBeCloseTo(17.665495323980554, 5);
  });
});

describe('SSIM', () => {
  it('is 1 for identical images and (2ab + C1) / (a² + b² + C1) for two flat ones', () => {
    const x = pattern(12, 12, 1, 3, 5);
    expect(ssim(x, x, [12, 12, 1], { window: 7 })).toBeCloseTo(1, 12);
    // No variance anywhere: the structure term is C2 / C2 = 1, only the luminance term is left.
    const a = new Float32Array(144).fill(0.25);
    const b = new Float32Array(144).fill(0.75);
    const c1 = 0.01 ** 2;
    expect(ssim(a, b, [12, 12, 1])).toBeCloseTo((2 * 0.25 * 0.75 + c1) / (0.25 ** 2 + 0.75 ** 2 + c1), 12);
  });

  it('matches numpy with 11x11 and 7x7 windows, grey and RGB', () => {
    const x = pattern(28, 28, 1, 7, 13);
    const y = perturbed(x, 28, 28, 1);
    expect(ssim(x, y, [28, 28, 1])).toBeCloseTo(0.9098254838307147, 7);
    expect(ssim(x, y, [28, 28, 1], { window: 7 })).toBeCloseTo(0.9103833853993505, 7);
    const x3 = pattern(16, 12, 3, 3, 5);
    const y3 = perturbed(x3, 16, 12, 3);
    expect(ssim(x3, y3, [16, 12, 3], { window: 7 })).toBeCloseTo(0.9087652876738108, 7);
    expect(psnr(x3, y3)).toBeCloseTo(17.58645090981705, 5);
  });

  it('refuses a window larger than the image and mismatched sizes', () => {
    expect(() => ssim(new Float32Array(64), new Float32Array(64), [8, 8, 1])).toThrow(
      "SSIM's 11x11 window does not fit a 8x8 image",
    );
    expect(() => ssim(new Float32Array(64), new Float32Array(63), [8, 8, 1], { window: 7 })).toThrow(
      'SSIM needs two images of shape [8, 8, 1] (64 values), got 64 and 63',
    );
  });

  it('averages per image over a set', () => {
    const x = pattern(28, 28, 1, 7, 13);
    const y = perturbed(x, 28, 28, 1);
    const both = new Float32Array([...x, ...x]);
    const other = new Float32Array([...x, ...y]);
    const q = imageQuality(both, other, [28, 28, 1]);
    expect(q.images).toBe(2);
    expect(q.psnr).toBeCloseTo((MAX_PSNR + 17.665495323980554) / 2, 5);
    expect(q.ssim).toBeCloseTo((1 + 0.9098254838307147) / 2, 7);
    const meter = new QualityMeter([28, 28, 1]).add(x, x).add(x, y);
    expect(meter.result()).toEqual(q);
  });
});

describe('baseline filters', () => {
  it('median filter matches numpy (edge pixels repeated)', () => {
    const s = pattern(6, 5, 1, 7, 13);
    const expected = [
      [0.1875, 0.5625, 0.5625, 0.5, 0.3125],
      [0.4375, 0.5625, 0.5625, 0.5, 0.5],
      [0.4375, 0.4375, 0.5625, 0.5625, 0.5],
      [0.625, 0.4375, 0.4375, 0.5625, 0.75],
      [0.25, 0.4375, 0.5625, 0.5625, 0.375],
      [0.4375, 0.625, 0.625, 0.375, 0.375],
    ].flat();
    expectClose(medianFilter(s, [6, 5, 1], 3), expected, 1e-7);
    const x = pattern(28, 28, 1, 7, 13);
    const sum = (a: Float32Array) => a.reduce((t, v) => t + v, 0);
    expect(sum(medianFilter(x, [28, 28, 1], 3))).toBeCloseTo(391.875, 3);
    expect(sum(medianFilter(x, [28, 28, 1], 5))).toBeCloseTo(392.8125, 3);
    expect(() => medianFilter(x, [28, 28, 1], 4)).toThrow('expected an odd median filter size >= 1, got 4');
  });

  it('Gaussian blur matches numpy (taps to 3 sigma, edge pixels repeated)', () => {
    const s = pattern(6, 5, 1, 7, 13);
    const expected = [
      [0.3020475, 0.4873958, 0.5406056, 0.4237341, 0.2891882],
      [0.4361582, 0.5065794, 0.5566883, 0.5202797, 0.4765716],
      [0.5125212, 0.4937611, 0.5176758, 0.5370062, 0.5732795],
      [0.4637302, 0.4470436, 0.4971526, 0.5478516, 0.5641273],
      [0.4251046, 0.4641571, 0.5173669, 0.5467912, 0.5129869],
      [0.3644838, 0.5139922, 0.5449976, 0.4685043, 0.3641393],
    ].flat();
    expectClose(gaussianBlur(s, [6, 5, 1], 1), expected, 1e-6);
    const x = pattern(28, 28, 1, 7, 13);
    const blurred = gaussianBlur(x, [28, 28, 1], 0.8);
    expect(blurred.reduce((t, v) => t + v, 0)).toBeCloseTo(391.83523844915044, 2);
    expect(blurred[3 * 28 + 4]).toBeCloseTo(0.50640414404986, 6);
  });
});
