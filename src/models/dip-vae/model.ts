// DIP-VAE (Kumar et al. 2018): the ELBO plus a penalty moving the covariance of the codes towards the identity:
// of the posterior means (type i) or of the aggregate posterior, Cov[mean] + E[diag(e^logVar)] (type ii).
import { type Scalar, type Tensor, tf } from '../../engine/tf.js';
import type { BuildContext } from '../family.js';
import {
  type ObjectiveContext,
  VaeModel,
  type VaeNetworks,
  type VaePass,
  vaeVariantFamily,
} from '../vae/model.js';
import { DipVaeConfig } from './config.js';

export { DipVaeConfig } from './config.js';

/**
 * The covariance the penalty reads, on a batch's posterior parameters [n, latent]: the (biased, 1/n) covariance
 * of the means, plus the mean posterior variance on the diagonal for type ii. [latent, latent]
 */
export function codeCovariance(mean: Tensor, logVar: Tensor, type: 'i' | 'ii'): Tensor {
  return tf.tidy(() => {
    const [n, latent] = mean.shape as [number, number];
    const centred = tf.sub(mean, tf.mean(mean, 0, true));
    const covariance = tf.div(tf.matMul(centred, centred, true, false), n);
    if (type === 'i') return covariance;
    // The mean variances on the diagonal, through eye (tf.diag has no gradient).
    return tf.add(covariance, tf.mul(tf.eye(latent), tf.mean(tf.exp(logVar), 0)));
  });
}

/** lambdaOffDiagonal · Σ_{i≠j} C_ij² + lambdaDiagonal · Σ_i (C_ii - 1)². */
export function dipPenalty(covariance: Tensor, lambdaOffDiagonal: number, lambdaDiagonal: number): Scalar {
  return tf.tidy(() => {
    const diagonal = tf.sum(tf.mul(covariance, tf.eye(covariance.shape[0])), 1); // [latent]
    const offDiagonal = tf.sub(tf.sum(tf.square(covariance)), tf.sum(tf.square(diagonal)));
    return tf.add(
      tf.mul(lambdaOffDiagonal, offDiagonal),
      tf.mul(lambdaDiagonal, tf.sum(tf.square(tf.sub(diagonal, 1)))),
    ) as Scalar;
  });
}

export class DipVaeModel extends VaeModel<DipVaeConfig> {
  /** The VAE's objective (beta, warm-up, free bits) + the DIP penalty on the batch. */
  protected override objective(pass: VaePass, context: ObjectiveContext) {
    const base = super.objective(pass, context);
    const { dipType, lambdaOffDiagonal, lambdaDiagonal } = this.config;
    const dip = dipPenalty(
      codeCovariance(pass.mean, pass.logVar, dipType),
      lambdaOffDiagonal,
      lambdaDiagonal,
    );
    return { ...base, loss: tf.add(base.loss, dip) as Scalar, dip };
  }
}

export const dipVaeFamily = vaeVariantFamily({
  kind: 'dip-vae',
  description:
    'DIP-VAE: a VAE whose codes are pushed towards an identity covariance (type i: of the posterior means; ii: of the aggregate posterior)',
  configSchema: DipVaeConfig,
  model: (config: DipVaeConfig, context: BuildContext, networks: VaeNetworks) =>
    new DipVaeModel(config, context, networks),
});
