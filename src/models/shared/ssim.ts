// Multi-scale structural similarity (Wang, Simoncelli & Bovik 2003) as a differentiable tensor function, for
// training on 1 - MS-SSIM (msssim-vae). eval/image-quality.ts measures SSIM on plain arrays for reports (valid
// windows, float64); a loss needs gradients, so this is its tensor counterpart with pythae's conventions:
// 'same' zero padding, so an 11x11 window still applies to the 3x3 image of the last scale of a 28x28 digit.
import { type Tensor, tf } from '../../engine/tf.js';

/** The scale weights of Wang et al. (5 scales), renormalised for fewer scales on small images as pythae does. */
const SCALE_WEIGHTS: readonly (readonly number[])[] = [
  [1],
  [0.3222, 0.6778],
  [0.4558, 0.1633, 0.3809],
  [0.3117, 0.3384, 0.2675, 0.0824],
  [0.0448, 0.2856, 0.3001, 0.2363, 0.1333],
];

/** How many scales fit an image `width` wide: one per halving down to 4 pixels, at most 5 (pythae's rule). */
export function msssimScales(width: number): readonly number[] {
  const levels = width < 4 ? 1 : width < 8 ? 2 : width < 16 ? 3 : width < 32 ? 4 : 5;
  return SCALE_WEIGHTS[levels - 1];
}

/**
 * The Gaussian blur along one axis of `size` pixels as a matrix [size, size]: row i holds the normalised window
 * centred on pixel i, cut at the borders (the 'same' zero padding of a convolution). A separable 2-D blur is then
 * two matrix products, which BLAS runs fast and whose gradients are matrix products too.
 */
function blurMatrix(size: number, window: number, sigma: number): Tensor {
  const half = window >> 1;
  const g = Array.from({ length: window }, (_, i) => Math.exp(-((i - half) ** 2) / (2 * sigma * sigma)));
  const total = g.reduce((a, b) => a + b, 0);
  const m = new Float32Array(size * size);
  for (let i = 0; i < size; i++)
    for (let j = Math.max(0, i - half); j <= Math.min(size - 1, i + half); j++)
      m[i * size + j] = g[j - i + half] / total;
  return tf.tensor2d(m, [size, size]);
}

/** Blurs each channel of images [n, h, w, c] with the separable window: G_h · X · G_wᵀ per plane. */
function blur(t: Tensor, window: number): Tensor {
  const [n, h, w, c] = t.shape as number[];
  const planes = tf.transpose(t, [0, 3, 1, 2]); // [n, c, h, w]
  const alongWidth = tf.matMul(tf.reshape(planes, [n * c * h, w]), blurMatrix(w, window, 1.5), false, true);
  const columns = tf.transpose(tf.reshape(alongWidth, [n * c, h, w]), [0, 2, 1]); // [n·c, w, h]
  const alongHeight = tf.matMul(tf.reshape(columns, [n * c * w, h]), blurMatrix(h, window, 1.5), false, true);
  return tf.transpose(tf.reshape(alongHeight, [n, c, w, h]), [0, 3, 2, 1]); // [n, h, w, c]
}

export interface SsimTensorOptions {
  /** Side of the Gaussian window (default 11, σ = 1.5, as Wang et al.). */
  window?: number;
}

/** Per image, the mean SSIM map and the mean contrast-structure term cs, for images [n, h, w, c] in [0, 1]. */
function ssimAndContrast(a: Tensor, b: Tensor, window: number): [Tensor, Tensor] {
  const smooth = (t: Tensor) => blur(t, window);
  const c1 = 0.01 ** 2; // (k1 · L)², L = 1
  const c2 = 0.03 ** 2;
  const muA = smooth(a);
  const muB = smooth(b);
  const muAB = tf.mul(muA, muB);
  const muA2 = tf.square(muA);
  const muB2 = tf.square(muB);
  const varA = tf.sub(smooth(tf.square(a)), muA2);
  const varB = tf.sub(smooth(tf.square(b)), muB2);
  const cov = tf.sub(smooth(tf.mul(a, b)), muAB);
  const v1 = tf.add(tf.mul(2, cov), c2);
  const v2 = tf.add(tf.add(varA, varB), c2);
  const cs = tf.div(v1, v2);
  const luminance = tf.div(tf.add(tf.mul(2, muAB), c1), tf.add(tf.add(muA2, muB2), c1));
  return [tf.mean(tf.mul(luminance, cs), [1, 2, 3]), tf.mean(cs, [1, 2, 3])];
}

/**
 * MS-SSIM per image pair: Π_{j<M} cs_j^{w_j} · ssim_M^{w_M} over M scales (2x2 average pooling between them), with
 * each term mapped from [-1, 1] to [0, 1] first as pythae does (a power of a negative number has no gradient).
 * Images [n, h, w, c] in [0, 1]; returns [n], 1 for identical images.
 */
export function msssim(a: Tensor, b: Tensor, options: SsimTensorOptions = {}): Tensor {
  return tf.tidy(() => {
    const weights = msssimScales(a.shape[2]!);
    const window = options.window ?? 11;
    let x = a;
    let y = b;
    const terms: Tensor[] = [];
    for (let level = 0; level < weights.length; level++) {
      const [ssim, cs] = ssimAndContrast(x, y, window);
      const last = level === weights.length - 1;
      const unit = tf.maximum(tf.div(tf.add(last ? ssim : cs, 1), 2), 1e-6);
      terms.push(tf.pow(unit, weights[level]));
      if (!last) {
        x = tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid');
        y = tf.avgPool(y as tf.Tensor4D, 2, 2, 'valid');
      }
    }
    return terms.reduce((p, t) => tf.mul(p, t));
  });
}
