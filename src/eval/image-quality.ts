// Image quality against a clean reference: PSNR and SSIM (Wang, Bovik, Sheikh & Simoncelli 2004), per image
// and averaged over a set. Images are flat [h, w, c] values; the data range is 1 unless given.
import { ConfigError } from '../errors.js';

/** PSNR of an exact copy would be infinite; the error is floored so a mean over images stays finite. */
export const MAX_PSNR = 100;

/** Peak signal-to-noise ratio in dB: 10 log10(range² / MSE), at most MAX_PSNR. */
export function psnr(reference: ArrayLike<number>, test: ArrayLike<number>, dataRange = 1): number {
  if (reference.length !== test.length || reference.length === 0) {
    throw new ConfigError(
      `PSNR needs two images of the same size, got ${reference.length} and ${test.length}`,
    );
  }
  let sum = 0;
  for (let i = 0; i < reference.length; i++) sum += (reference[i] - test[i]) ** 2;
  const floor = dataRange * dataRange * 10 ** (-MAX_PSNR / 10);
  return 10 * Math.log10((dataRange * dataRange) / Math.max(sum / reference.length, floor));
}

export interface SsimOptions {
  /** Side of the Gaussian window: 11 as in Wang et al.; 7 leaves more of a small image. */
  window?: 7 | 11;
  /** Standard deviation of the window (1.5 in Wang et al.). */
  sigma?: number;
  dataRange?: number;
  k1?: number;
  k2?: number;
}

/** Normalised 1-D Gaussian of `size` taps; the 2-D window is its outer product. */
function gaussianTaps(size: number, sigma: number): Float64Array {
  const r = (size - 1) / 2;
  const taps = Float64Array.from({ length: size }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const total = taps.reduce((a, b) => a + b, 0);
  return taps.map((t) => t / total);
}

/** Separable 'valid' filtering of one plane [h, w]: [h - s + 1, w - s + 1]. */
function filterValid(plane: Float64Array, h: number, w: number, taps: Float64Array): Float64Array {
  const s = taps.length;
  const ow = w - s + 1;
  const oh = h - s + 1;
  const rows = new Float64Array(h * ow);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let sum = 0;
      for (let k = 0; k < s; k++) sum += taps[k] * plane[y * w + x + k];
      rows[y * ow + x] = sum;
    }
  }
  const out = new Float64Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let sum = 0;
      for (let k = 0; k < s; k++) sum += taps[k] * rows[(y + k) * ow + x];
      out[y * ow + x] = sum;
    }
  }
  return out;
}

/**
 * Mean structural similarity of one image pair [h, w, c]: the SSIM map over every window that fits inside the
 * image (Gaussian-weighted local statistics, no sample-size correction, as Wang et al.'s reference code),
 * averaged, then averaged over channels. C1 = (k1 L)², C2 = (k2 L)² with k1 = 0.01, k2 = 0.03.
 */
export function ssim(
  reference: ArrayLike<number>,
  test: ArrayLike<number>,
  shape: readonly number[],
  { window = 11, sigma = 1.5, dataRange = 1, k1 = 0.01, k2 = 0.03 }: SsimOptions = {},
): number {
  const [h, w, c] = shape.length === 3 ? shape : [shape[0], shape[1], 1];
  if (reference.length !== h * w * c || test.length !== h * w * c) {
    throw new ConfigError(
      `SSIM needs two images of shape [${h}, ${w}, ${c}] (${h * w * c} values), got ${reference.length} and ${test.length}`,
    );
  }
  if (h < window || w < window) {
    throw new ConfigError(`SSIM's ${window}x${window} window does not fit a ${h}x${w} image`, {
      path: 'window',
    });
  }
  const taps = gaussianTaps(window, sigma);
  const c1 = (k1 * dataRange) ** 2;
  const c2 = (k2 * dataRange) ** 2;
  const planes = Array.from({ length: 5 }, () => new Float64Array(h * w));
  let total = 0;
  for (let ch = 0; ch < c; ch++) {
    for (let p = 0; p < h * w; p++) {
      const a = reference[p * c + ch];
      const b = test[p * c + ch];
      planes[0][p] = a;
      planes[1][p] = b;
      planes[2][p] = a * a;
      planes[3][p] = b * b;
      planes[4][p] = a * b;
    }
    const [mx, my, exx, eyy, exy] = planes.map((plane) => filterValid(plane, h, w, taps));
    let sum = 0;
    for (let i = 0; i < mx.length; i++) {
      const vx = exx[i] - mx[i] * mx[i];
      const vy = eyy[i] - my[i] * my[i];
      const cov = exy[i] - mx[i] * my[i];
      sum +=
        ((2 * mx[i] * my[i] + c1) * (2 * cov + c2)) / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2));
    }
    total += sum / mx.length;
  }
  return total / c;
}

export interface ImageQuality {
  /** Mean over images of each image's PSNR (dB). */
  psnr: number;
  /** Mean over images of each image's SSIM. */
  ssim: number;
  images: number;
}

/** Running means of PSNR and SSIM over batches of image pairs, flat [n, h, w, c]. */
export class QualityMeter {
  private psnrSum = 0;
  private ssimSum = 0;
  private count = 0;

  constructor(
    readonly shape: readonly number[],
    readonly options: SsimOptions = {},
  ) {}

  add(reference: Float32Array, test: Float32Array): this {
    const per = this.shape.reduce((a, b) => a * b, 1);
    if (reference.length !== test.length || reference.length % per !== 0) {
      throw new ConfigError(
        `expected two sets of images of ${per} values each, got ${reference.length} and ${test.length} values`,
      );
    }
    for (let start = 0; start < reference.length; start += per) {
      const a = reference.subarray(start, start + per);
      const b = test.subarray(start, start + per);
      this.psnrSum += psnr(a, b, this.options.dataRange);
      this.ssimSum += ssim(a, b, this.shape, this.options);
      this.count++;
    }
    return this;
  }

  result(): ImageQuality {
    const n = Math.max(1, this.count);
    return { psnr: this.psnrSum / n, ssim: this.ssimSum / n, images: this.count };
  }
}

/** PSNR and SSIM of `test` against `reference`, both flat [n, ...shape], averaged over the n images. */
export function imageQuality(
  reference: Float32Array,
  test: Float32Array,
  shape: readonly number[],
  options: SsimOptions = {},
): ImageQuality {
  return new QualityMeter(shape, options).add(reference, test).result();
}
