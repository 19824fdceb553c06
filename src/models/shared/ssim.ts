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

/** A normalised 2-D Gaussian window [size, size, 1, 1]. */
function gaussianWindow(size: number, sigma: number): Tensor {
  const g = Array.from({ length: size }, (_, i) => Math.exp(-((i - (size >> 1)) ** 2) / (2 * sigma * sigma)));
  const total = g.reduce((a, b) => a + b, 0);
  const values: number[] = [];
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) values.push((g[i] * g[j]) / (total * total));
  return tf.tensor4d(values, [size, size, 1, 1]);
}

export interface SsimTensorOptions {
  /** Side of the Gaussian window (default 11, σ = 1.5, as Wang et al.). */
  window?: number;
}

/**
 * Per image, the mean SSIM map and the mean contrast-structure term cs, for images [n, h, w, c] in [0, 1]. The
 * window blurs each channel alone: channels go into the batch ([n·c, h, w, 1]), since the wasm backend has no
 * gradient of a depthwise convolution.
 */
function ssimAndContrast(a: Tensor, b: Tensor, window: Tensor): [Tensor, Tensor] {
  const [n, h, w, c] = a.shape as number[];
  const blur = (t: Tensor) => {
    const planes = tf.reshape(tf.transpose(t, [0, 3, 1, 2]), [n * c, h, w, 1]);
    const blurred = tf.conv2d(planes as tf.Tensor4D, window as tf.Tensor4D, 1, 'same');
    return tf.transpose(tf.reshape(blurred, [n, c, h, w]), [0, 2, 3, 1]);
  };
  const c1 = 0.01 ** 2; // (k1 · L)², L = 1
  const c2 = 0.03 ** 2;
  const muA = blur(a);
  const muB = blur(b);
  const muAB = tf.mul(muA, muB);
  const muA2 = tf.square(muA);
  const muB2 = tf.square(muB);
  const varA = tf.sub(blur(tf.square(a)), muA2);
  const varB = tf.sub(blur(tf.square(b)), muB2);
  const cov = tf.sub(blur(tf.mul(a, b)), muAB);
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
    const window = gaussianWindow(options.window ?? 11, 1.5);
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
