// The VAE's likelihood and KL terms, in nats: Bernoulli and Gaussian negative log-likelihoods, the closed-form
// Gaussian KL and the free-bits KL objective (exported for tests and for other latent-variable families).
import { rowLoss } from '../../engine/kernels/row-loss.js';
import { type Tensor, tf } from '../../engine/tf.js';

const LOG_2PI = Math.log(2 * Math.PI);

/** Sum over the last `rank` axes (the sample's own axes). */
function sumLast(t: Tensor, rank: number): Tensor {
  return tf.sum(
    t,
    Array.from({ length: rank }, (_, i) => t.rank - rank + i),
  );
}

/**
 * -log Bernoulli(x | sigmoid(logits)) in nats, summed over the last `rank` axes: [..., n]. Computed from
 * logits as max(l, 0) - x·l + log(1 + e^-|l|), which neither overflows nor takes log(0) for any logit; one
 * fused kernel each way where the backend has it (engine/kernels/row-loss.ts).
 */
export function bernoulliNll(x: Tensor, logits: Tensor, rank: number): Tensor {
  return rowLoss('bernoulli-logits', x, logits, rank);
}

/**
 * -log N(x | mean, sigma²) in nats with the full normalising constant, summed over the last `rank` axes:
 * [..., n]. `logSigma` is a number (fixed scale) or a tensor broadcasting against `mean`.
 */
export function gaussianNll(x: Tensor, mean: Tensor, logSigma: Tensor | number, rank: number): Tensor {
  return tf.tidy(() => {
    const squared = tf.squaredDifference(x, mean);
    const scaled =
      typeof logSigma === 'number'
        ? tf.mul(squared, 0.5 * Math.exp(-2 * logSigma))
        : tf.mul(squared, tf.mul(0.5, tf.exp(tf.mul(-2, logSigma))));
    const perEntry = tf.add(tf.add(scaled, logSigma), 0.5 * LOG_2PI);
    return sumLast(perEntry, rank);
  });
}

/**
 * The KL term the objective uses: the batch mean of the per-sample KL, or with free bits (Kingma et al.
 * 2016) the sum over dimensions of max(freeBits, batch-mean KL_d), so dimensions under the floor get no push.
 */
export function klObjective(klPerDim: Tensor, freeBits: number): tf.Scalar {
  return tf.tidy(() => {
    const perDim = tf.mean(klPerDim, 0); // [latent]
    return tf.sum(freeBits > 0 ? tf.maximum(perDim, freeBits) : perDim) as tf.Scalar;
  });
}
