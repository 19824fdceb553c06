// Maximum mean discrepancy between a batch of codes and draws from the prior, as tensors (the WAE-MMD and InfoVAE
// regularisers): the kernels of Tolstikhin et al. (2018), bandwidth scaled by the code's size as pythae does.
// eval/two-sample.ts tests point sets on plain arrays (a p-value, no gradients); this is the differentiable term.
import { z } from 'zod';
import { type Scalar, type Tensor, tf } from '../../engine/tf.js';

/** The options of an MMD regulariser, shared by wae and info-vae. */
export const mmdOptions = {
  kernel: z
    .enum(['imq', 'rbf'])
    .default('imq')
    .describe(
      'Kernel of the MMD: imq, C / (C + |z - z′|²) (heavy tails, as Tolstikhin et al. and pythae), or rbf, exp(-|z - z′|² / C)',
    ),
  kernelBandwidth: z
    .number()
    .positive()
    .default(1)
    .describe("σ of the prior: the kernel's scale is C = 2 · latent · σ² (pythae's kernel_bandwidth)"),
  kernelScales: z
    .array(z.number().positive())
    .min(1)
    .default([0.1, 0.2, 0.5, 1, 2, 5, 10])
    .describe(
      'imq only: the kernel is the sum over these multiples of C (multi-scale, as Tolstikhin et al.); [1] is one scale',
    ),
};

export interface MmdKernel {
  kernel: 'imq' | 'rbf';
  kernelBandwidth: number;
  kernelScales: readonly number[];
}

/** Squared distances between the rows of a [n, d] and b [m, d]: [n, m]. */
function squaredDistances(a: Tensor, b: Tensor): Tensor {
  const cross = tf.matMul(a, b, false, true); // [n, m]
  const aa = tf.sum(tf.square(a), 1, true); // [n, 1]
  const bb = tf.reshape(tf.sum(tf.square(b), 1), [1, -1]); // [1, m]
  // Rounding can make a distance slightly negative; the kernels expect >= 0.
  return tf.relu(tf.sub(tf.add(aa, bb), tf.mul(2, cross)));
}

/** The kernel matrix k(a_i, b_j): [n, m]. */
export function kernelMatrix(a: Tensor, b: Tensor, options: MmdKernel): Tensor {
  return tf.tidy(() => {
    const d2 = squaredDistances(a, b);
    const c = 2 * a.shape[1]! * options.kernelBandwidth ** 2;
    if (options.kernel === 'rbf') return tf.exp(tf.div(d2, -c));
    return tf.addN(options.kernelScales.map((s) => tf.div(s * c, tf.add(d2, s * c))));
  });
}

/**
 * Unbiased MMD² of two samples of one size (Gretton et al. 2012): the means of k over distinct pairs within each
 * set minus twice the mean over all cross pairs. pythae weighs its estimate by the batch size; here the weight is
 * the caller's, so it does not change with the batch.
 */
export function mmd2(x: Tensor, y: Tensor, options: MmdKernel): Scalar {
  return tf.tidy(() => {
    const n = x.shape[0];
    const m = y.shape[0];
    const offDiagonalMean = (k: Tensor, size: number) =>
      tf.div(tf.sub(tf.sum(k), tf.sum(tf.mul(k, tf.eye(size)))), size * (size - 1));
    const xx = offDiagonalMean(kernelMatrix(x, x, options), n);
    const yy = offDiagonalMean(kernelMatrix(y, y, options), m);
    const xy = tf.mean(kernelMatrix(x, y, options));
    return tf.sub(tf.add(xx, yy), tf.mul(2, xy)) as Scalar;
  });
}
