// Simple denoisers the models are measured against: a median filter and a Gaussian blur, per channel, with the
// image's edge pixels repeated outwards. Images are flat [n, h, w, c].
import { ConfigError } from '../errors.js';

function dims(shape: readonly number[]): [number, number, number] {
  return shape.length === 3 ? [shape[0], shape[1], shape[2]] : [shape[0], shape[1], 1];
}

const clampIndex = (i: number, n: number) => (i < 0 ? 0 : i >= n ? n - 1 : i);

/** Median over a size x size neighbourhood (size odd). */
export function medianFilter(images: Float32Array, shape: readonly number[], size: number): Float32Array {
  if (!Number.isInteger(size) || size < 1 || size % 2 === 0) {
    throw new ConfigError(`expected an odd median filter size >= 1, got ${size}`, { path: 'size' });
  }
  const [h, w, c] = dims(shape);
  const per = h * w * c;
  const r = (size - 1) / 2;
  const out = new Float32Array(images.length);
  const window = new Float32Array(size * size);
  const middle = (size * size - 1) / 2;
  for (let base = 0; base < images.length; base += per) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) {
          let k = 0;
          for (let dy = -r; dy <= r; dy++) {
            const row = clampIndex(y + dy, h) * w;
            for (let dx = -r; dx <= r; dx++) {
              // Insertion sort while filling: windows are at most a few dozen values.
              const v = images[base + (row + clampIndex(x + dx, w)) * c + ch];
              let j = k++;
              while (j > 0 && window[j - 1] > v) {
                window[j] = window[j - 1];
                j--;
              }
              window[j] = v;
            }
          }
          out[base + (y * w + x) * c + ch] = window[middle];
        }
      }
    }
  }
  return out;
}

/** Gaussian blur with standard deviation `sigma` pixels (taps out to 3 sigma), separable. */
export function gaussianBlur(images: Float32Array, shape: readonly number[], sigma: number): Float32Array {
  if (!(sigma > 0)) throw new ConfigError(`expected a blur sigma > 0, got ${sigma}`, { path: 'sigma' });
  const [h, w, c] = dims(shape);
  const per = h * w * c;
  const r = Math.ceil(3 * sigma);
  const taps = Float64Array.from({ length: 2 * r + 1 }, (_, i) =>
    Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)),
  );
  const total = taps.reduce((a, b) => a + b, 0);
  for (let i = 0; i < taps.length; i++) taps[i] /= total;
  const out = new Float32Array(images.length);
  const rows = new Float64Array(per);
  for (let base = 0; base < images.length; base += per) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) {
          let sum = 0;
          for (let k = -r; k <= r; k++)
            sum += taps[k + r] * images[base + (y * w + clampIndex(x + k, w)) * c + ch];
          rows[(y * w + x) * c + ch] = sum;
        }
      }
    }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) {
          let sum = 0;
          for (let k = -r; k <= r; k++) sum += taps[k + r] * rows[(clampIndex(y + k, h) * w + x) * c + ch];
          out[base + (y * w + x) * c + ch] = sum;
        }
      }
    }
  }
  return out;
}
