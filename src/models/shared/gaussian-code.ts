// The Gaussian code of the variational families (vae, conv-vae, cvae, vaegan, seq-vae): the soft clamp that keeps
// an encoder's log-variance finite, the closed-form KL to N(0, I), the KL weight's warm-up schedule, free bits.
import { z } from 'zod';
import { type Tensor, tf, tfl } from '../../engine/tf.js';
import { chain, type Symbolic } from './layers.js';

/** The free-bits option of every family with a Gaussian code (Kingma et al. 2016): one schema, one wording. */
export const freeBitsOption = () =>
  z
    .number()
    .min(0)
    .default(0)
    .describe('Free bits: floor on the KL per latent dimension, in nats; 0 disables');

/** The encoder's log-variance is soft-clamped to (-10, 10): exp() of it can neither overflow nor reach 0. */
export const LOG_VARIANCE_LIMIT = 10;

/** limit · tanh(gain · a / limit): about gain · a near 0, never beyond ±limit, and no dead gradients. */
export function softClamp(input: Symbolic, limit: number, name: string, gain = 1): Symbolic {
  return chain(
    [
      tfl.layers.rescaling({ scale: gain / limit, name: `${name}_in` }),
      tfl.layers.activation({ activation: 'tanh', name: `${name}_tanh` }),
      tfl.layers.rescaling({ scale: limit, name }),
    ],
    input,
  );
}

/** KL(N(mean, e^logVar) || N(0, 1)) per latent dimension, closed form: [n, latent]. */
export function gaussianKl(mean: Tensor, logVar: Tensor): Tensor {
  return tf.tidy(() => tf.mul(0.5, tf.sub(tf.add(tf.square(mean), tf.exp(logVar)), tf.add(logVar, 1))));
}

/**
 * KL weight for a training epoch (1-based): beta * (epoch - 1) / klWarmupEpochs during warm-up, so epoch 1
 * trains with weight 0 and epoch klWarmupEpochs + 1 on with the full beta. Without an epoch (evaluation,
 * steps outside the trainer) the full beta.
 */
export function klWeight(config: { beta: number; klWarmupEpochs: number }, epoch?: number): number {
  if (epoch === undefined || config.klWarmupEpochs === 0) return config.beta;
  return config.beta * Math.min(1, Math.max(0, epoch - 1) / config.klWarmupEpochs);
}
