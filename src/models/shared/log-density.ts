// Log densities of diagonal Gaussians, for the VAE variants whose KL is estimated from draws (beta-TCVAE's
// decomposition, the VampPrior's mixture, the flows' posteriors) rather than taken in closed form.
import { type Tensor, tf } from '../../engine/tf.js';

const LOG_2PI = Math.log(2 * Math.PI);

/** log N(z; mean, e^logVar) per entry (broadcasting): -(log 2π + logVar + (z - mean)² / e^logVar) / 2. */
export function logNormal(z: Tensor, mean: Tensor, logVar: Tensor): Tensor {
  return tf.tidy(() =>
    tf.mul(-0.5, tf.add(tf.add(logVar, LOG_2PI), tf.div(tf.square(tf.sub(z, mean)), tf.exp(logVar)))),
  );
}

/** log N(z; 0, I) summed over the last axis: [..., latent] → [...]. */
export function logStandardNormal(z: Tensor): Tensor {
  return tf.tidy(() => tf.mul(-0.5, tf.sum(tf.add(tf.square(z), LOG_2PI), -1)));
}

/** log N(mean + e^(logVar/2) · eps; mean, e^logVar) summed over the last axis, from eps: [..., latent] → [...]. */
export function logPosterior(eps: Tensor, logVar: Tensor): Tensor {
  return tf.tidy(() => tf.mul(-0.5, tf.sum(tf.add(tf.add(tf.square(eps), logVar), LOG_2PI), -1)));
}
