// GAN objectives on the discriminator's raw outputs (logits, or critic values for WGAN/hinge): minimax and
// non-saturating BCE, least squares, Wasserstein with gradient penalty, hinge. Both sides are minimised.
import { z } from 'zod';
import { rowLoss } from '../../engine/kernels/row-loss.js';
import { type Scalar, type Tensor, tf } from '../../engine/tf.js';

export const GanLoss = z
  .enum(['minimax', 'non-saturating', 'lsgan', 'wgan-gp', 'hinge'])
  .describe(
    'GAN objective: minimax, non-saturating, lsgan (least squares), wgan-gp (with gradient penalty) or hinge',
  );
export type GanLoss = z.infer<typeof GanLoss>;

/**
 * Mean binary cross-entropy of sigmoid(logits) against `target` (a number or a tensor), from logits:
 * max(l, 0) - t·l + log(1 + e^-|l|), finite for every logit.
 */
export function bceFromLogits(logits: Tensor, target: number | Tensor): Scalar {
  return tf.tidy(() => {
    const targets = typeof target === 'number' ? tf.fill(logits.shape, target) : target;
    return tf.mean(rowLoss('bernoulli-logits', targets, logits, 0)) as Scalar;
  });
}

export interface DiscriminatorLossOptions {
  /** One-sided label smoothing: real targets are 1 - s (BCE and least-squares losses only). */
  labelSmoothing?: number;
}

/**
 * The discriminator's (critic's) loss from its outputs on real and generated samples, the real and fake terms
 * summed (as in DCGAN implementations). WGAN-GP's gradient penalty is added by the caller (see gradientPenalty).
 * - minimax, non-saturating: BCE(real, 1 - s) + BCE(fake, 0)
 * - lsgan (Mao et al. 2017, a=0, b=c=1): ½·mean((real - (1 - s))²) + ½·mean(fake²)
 * - wgan-gp: mean(fake) - mean(real)
 * - hinge: mean(relu(1 - real)) + mean(relu(1 + fake))
 */
export function discriminatorLoss(
  loss: GanLoss,
  real: Tensor,
  fake: Tensor,
  { labelSmoothing = 0 }: DiscriminatorLossOptions = {},
): Scalar {
  return tf.tidy(() => {
    const realTarget = 1 - labelSmoothing;
    switch (loss) {
      case 'minimax':
      case 'non-saturating':
        return tf.add(bceFromLogits(real, realTarget), bceFromLogits(fake, 0)) as Scalar;
      case 'lsgan':
        return tf.mul(
          0.5,
          tf.add(tf.mean(tf.square(tf.sub(real, realTarget))), tf.mean(tf.square(fake))),
        ) as Scalar;
      case 'wgan-gp':
        return tf.sub(tf.mean(fake), tf.mean(real)) as Scalar;
      case 'hinge':
        return tf.add(tf.mean(tf.relu(tf.sub(1, real))), tf.mean(tf.relu(tf.add(1, fake)))) as Scalar;
    }
  });
}

/**
 * The generator's loss from the discriminator's outputs on generated samples:
 * - minimax (Goodfellow et al. 2014): mean(log(1 - D)) = -mean(softplus(fake)), saturates when D wins
 * - non-saturating: BCE(fake, 1) = mean(softplus(-fake))
 * - lsgan: ½·mean((fake - 1)²)
 * - wgan-gp, hinge: -mean(fake)
 */
export function generatorLoss(loss: GanLoss, fake: Tensor): Scalar {
  return tf.tidy(() => {
    switch (loss) {
      case 'minimax':
        return tf.neg(tf.mean(tf.softplus(fake))) as Scalar;
      case 'non-saturating':
        return bceFromLogits(fake, 1);
      case 'lsgan':
        return tf.mul(0.5, tf.mean(tf.square(tf.sub(fake, 1)))) as Scalar;
      case 'wgan-gp':
      case 'hinge':
        return tf.neg(tf.mean(fake)) as Scalar;
    }
  });
}

/** The critic's Wasserstein-1 estimate mean(real) - mean(fake) (WGAN; lower is closer). */
export function wassersteinEstimate(real: Tensor, fake: Tensor): Scalar {
  return tf.tidy(() => tf.sub(tf.mean(real), tf.mean(fake)) as Scalar);
}

/**
 * The gradient penalty differentiates a gradient. Leaky ReLU's gradient is built with Greater, which tfjs gives
 * no gradient of its own, so the second backward pass would fail there. A comparison is piecewise constant:
 * zero is its exact gradient (almost everywhere). Registered once, only when tfjs has none.
 */
function ensureComparisonGradients(): void {
  for (const kernelName of ['Greater', 'GreaterEqual', 'Less', 'LessEqual']) {
    if (tf.getGradient(kernelName)) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy, saved) => ({ a: () => tf.zerosLike(saved[0]), b: () => tf.zerosLike(saved[1]) }),
    });
  }
}

/**
 * WGAN-GP's penalty (Gulrajani et al. 2017): lambda · mean_i (‖∇_x critic(x̂_i)‖₂ - 1)², at random interpolates
 * x̂_i = real_i + α_i (fake_i - real_i), α_i ~ U(0, 1) per sample, the gradient flattened per sample. Usable
 * inside tf.variableGrads: the gradient is itself differentiated with respect to the critic's weights.
 * `alpha` may be given ([n]) instead of being drawn with `seed`.
 */
export function gradientPenalty(
  critic: (x: Tensor) => Tensor,
  real: Tensor,
  fake: Tensor,
  { lambda = 10, seed = 0, alpha }: { lambda?: number; seed?: number; alpha?: Tensor } = {},
): Scalar {
  ensureComparisonGradients();
  return tf.tidy(() => {
    const n = real.shape[0];
    const broadcast = [n, ...real.shape.slice(1).map(() => 1)];
    const a = tf.reshape(alpha ?? tf.randomUniform([n], 0, 1, 'float32', seed), broadcast);
    const interpolates = tf.add(real, tf.mul(a, tf.sub(fake, real)));
    // The sum over samples: each sample's output depends only on its own input, so row i is ∇ critic(x̂_i).
    const grad = tf.grad((x: Tensor) => tf.sum(critic(x)))(interpolates);
    const flat = tf.reshape(grad, [n, -1]);
    // The epsilon keeps sqrt's gradient finite at a zero gradient.
    const norm = tf.sqrt(tf.add(tf.sum(tf.square(flat), 1), 1e-12));
    return tf.mul(lambda, tf.mean(tf.square(tf.sub(norm, 1)))) as Scalar;
  });
}

/**
 * R1 (Mescheder et al. 2018): (gamma / 2) · mean_i ‖∇_x D(x_i)‖² on real samples. It keeps the discriminator
 * flat on the data, which makes non-saturating training converge instead of cycling between modes. Usable
 * inside tf.variableGrads, like gradientPenalty.
 */
export function r1Penalty(discriminator: (x: Tensor) => Tensor, real: Tensor, gamma: number): Scalar {
  ensureComparisonGradients();
  return tf.tidy(() => {
    const n = real.shape[0];
    const grad = tf.grad((x: Tensor) => tf.sum(discriminator(x)))(real);
    return tf.mul(gamma / 2, tf.div(tf.sum(tf.square(grad)), n)) as Scalar;
  });
}

/** What a discriminator trained on `loss` outputs, in words for the manifest (its networks' roles). */
export function discriminatorOutput(loss: GanLoss): string {
  return loss === 'minimax' || loss === 'non-saturating'
    ? 'logits [n, 1]: apply a sigmoid for P(real)'
    : `a raw score [n, 1] (${loss}: higher means more real; no probability)`;
}
