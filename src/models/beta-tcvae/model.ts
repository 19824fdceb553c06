// beta-TCVAE (Chen et al. 2018): the KL of the ELBO split into index-code mutual information, total correlation
// and dimension-wise KL, each weighted (alpha, beta, gamma), estimated on the minibatch by minibatch-weighted
// sampling (MWS, the paper's first estimator; pythae's default, use_mss = false).
import { type Scalar, type Tensor, tf } from '../../engine/tf.js';
import type { BuildContext } from '../family.js';
import { klWeight } from '../shared/gaussian-code.js';
import { logNormal } from '../shared/log-density.js';
import {
  type ObjectiveContext,
  VaeModel,
  type VaeNetworks,
  type VaePass,
  vaeVariantFamily,
} from '../vae/model.js';
import { BetaTcVaeConfig } from './config.js';

export { BetaTcVaeConfig } from './config.js';

/** The three parts of the KL on a minibatch, in nats (means over the batch); they sum to log q(z|x) - log p(z). */
export interface TcDecomposition {
  mutualInformation: Scalar;
  totalCorrelation: Scalar;
  dimensionWiseKl: Scalar;
}

/**
 * MWS estimates from codes z [m, latent] drawn from q(z|x_i) with parameters mean, logVar [m, latent], for a
 * data set of `datasetSize` samples: log q(z_i) ≈ logsumexp_j log q(z_i|x_j) - log(N·m), and per dimension
 * likewise for log q(z_id). With N = m (no data set size known) it is the batch's own estimate.
 */
export function tcDecomposition(
  z: Tensor,
  mean: Tensor,
  logVar: Tensor,
  datasetSize: number,
): TcDecomposition {
  return tf.tidy(() => {
    const m = z.shape[0];
    const logNm = Math.log(datasetSize * m);
    // log q(z_i,d | x_j): [m (i), m (j), latent]
    const pairwise = logNormal(tf.expandDims(z, 1), tf.expandDims(mean, 0), tf.expandDims(logVar, 0));
    const logQzx = tf.sum(logNormal(z, mean, logVar), -1); // log q(z_i|x_i) [m]
    const logQz = tf.sub(tf.logSumExp(tf.sum(pairwise, 2), 1), logNm); // [m]
    const logProductQzd = tf.sum(tf.sub(tf.logSumExp(pairwise, 1), logNm), -1); // [m]
    const logPz = tf.sum(logNormal(z, tf.zerosLike(z), tf.zerosLike(z)), -1); // [m]
    return {
      mutualInformation: tf.mean(tf.sub(logQzx, logQz)) as Scalar,
      totalCorrelation: tf.mean(tf.sub(logQz, logProductQzd)) as Scalar,
      dimensionWiseKl: tf.mean(tf.sub(logProductQzd, logPz)) as Scalar,
    };
  });
}

export class BetaTcVaeModel extends VaeModel<BetaTcVaeConfig> {
  /**
   * reconstruction + alpha·MI + beta·TC + gamma·dimension-wise KL (KL warm-up ramps all three); `kl` and
   * `negElbo` report the closed-form KL beside them.
   */
  protected override objective(pass: VaePass, context: ObjectiveContext) {
    const { alpha, beta, gamma } = this.config;
    // The trainer says how many samples the split holds; outside it (evaluate on a batch alone) the batch is
    // taken as the whole data set.
    const datasetSize = context.batch.datasetSize ?? pass.z.shape[0];
    const parts = tcDecomposition(pass.z, pass.mean, pass.logVar, datasetSize);
    const ramp = klWeight({ beta: 1, klWarmupEpochs: this.config.klWarmupEpochs }, context.batch.epoch);
    const reconstruction = tf.mean(pass.nll) as Scalar;
    const kl = tf.mean(this.klPerSample(pass)) as Scalar;
    const penalty = tf.addN([
      tf.mul(alpha, parts.mutualInformation),
      tf.mul(beta, parts.totalCorrelation),
      tf.mul(gamma, parts.dimensionWiseKl),
    ]);
    const loss = tf.add(reconstruction, tf.mul(ramp, penalty)) as Scalar;
    const negElbo = tf.add(reconstruction, kl) as Scalar;
    return { loss, reconstruction, kl, negElbo, ...parts };
  }
}

export const betaTcVaeFamily = vaeVariantFamily({
  kind: 'beta-tcvae',
  description:
    'beta-TCVAE: a VAE whose KL is split into mutual information, total correlation (weighted by beta) and dimension-wise KL',
  configSchema: BetaTcVaeConfig,
  model: (config: BetaTcVaeConfig, context: BuildContext, networks: VaeNetworks) =>
    new BetaTcVaeModel(config, context, networks),
});
